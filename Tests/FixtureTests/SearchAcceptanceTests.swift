import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import VFIORules
import Testing

/// Issue 6's acceptance points on what `TopologySearch` finds; every counterexample is written,
/// read back through the audit importers, replayed and rendered (``assertRoundTrips(_:)``).
///
/// Time limit: each test is a bounded topology search, the slowest (`distinctViewsUntilExhausted`)
/// 30 s on a loaded 2-core machine, hence 3 minutes.
@Suite(.timeLimit(.minutes(3)))
final class SearchAcceptanceTests {
    static let withoutReservation = try! Policy.mainline.removing(["subpage-reservation"])
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-search-acceptance-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: scratch) }

    func assertRoundTrips(_ examples: [TopologyCounterexample], _ name: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (i, cx) in examples.enumerated() {
            let folder = scratch.appendingPathComponent("\(name)-\(i + 1)")
            try FixtureWriter(spec: try SpecCopy(path: "Specs/mainline.yaml"), checkID: name).write(cx, to: folder)
            #expect(FixtureRoundTrip.check(counterexample: cx, folder: folder) == [], "\(name) #\(i + 1)", sourceLocation: sourceLocation)
            let png = try FixtureRoundTrip.renderedPNGSize(ofSVG: folder.appendingPathComponent(FixtureWriter.svgFile))
            #expect(png.width == MemoryMapSVG.width, sourceLocation: sourceLocation)
            #expect(png.height > 100, sourceLocation: sourceLocation)
        }
    }

    /// Mainline without the sub-page reservation on 64 KiB pages: the minimal counterexample is two
    /// devices with one BAR each, a 4 KiB page-aligned BAR and a foreign BAR in the rest of its page.
    @Test func minimalCounterexampleWithoutSubpageReservation() throws {
        let search = TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                    invariant: .pageExclusive, bounds: SearchBounds(devices: 4))
        let result = try search.run(max: 1, minimize: true)
        let example = try #require(result.counterexamples.first)
        let topology = example.topology
        #expect(topology.functions.count == 2)
        #expect(topology.functions.flatMap(\.bars).count == 2)
        let page: UInt64 = 64 << 10
        let target = try #require(topology.function(example.target.function)?.bar(example.target.index))
        let foreignReference = try #require(example.foreign)
        let foreign = try #require(topology.function(foreignReference.function)?.bar(foreignReference.index))
        #expect(foreignReference.function != example.target.function)
        #expect(target.size == 4096)
        #expect(target.start % page == 0, "page-aligned")
        #expect(foreign.start / page == target.start / page, "the foreign BAR is in the rest of the target's page")
        #expect(foreign.start > target.end)
        #expect(foreign.size == 4096, "smallest size")
        #expect(foreign.start == target.end + 1, "lowest address")
        #expect(example.mapsWholeBAR)
        #expect(example.platform.backend == .type1)
        #expect(example.view.clause == "mainline.subpage-start-aligned")
        try assertRoundTrips(result.counterexamples, "minimal")
    }

    /// 4.8-4.15 exclude the MSI-X table with a `u32 + u16` sum: the search finds the machine that
    /// wraps it, one function with a 64-bit BAR over 4 GiB whose table ends past BAR offset 2^32,
    /// and the fixture round-trips through the audit importers.
    @Test(arguments: ["4.8", "4.11"])
    func wrapMachineBefore416(release: String) throws {
        let policy = try KernelRelease.named(release).policy
        let search = TopologySearch(policy: policy, platform: PlatformSpec(pageSizes: [.kib4]), invariant: .msixNeedsFiltering,
                                    bounds: SearchBounds(devices: 1, barsPerDevice: 1, bridges: 0, maxBARSize: 8 << 30))
        let result = try search.run(max: 1)
        let example = try #require(result.counterexamples.first, "\(result)")
        let function = try #require(example.topology.function(example.target.function))
        let bar = try #require(function.bar(example.target.index))
        let msix = try #require(function.msix)
        #expect(bar.size >= 1 << 32 && bar.kind == .mem64, "\(bar)")
        #expect(UInt64(msix.tableOffset) + UInt64(msix.entries) * 16 >= 1 << 32, "the table ends at or past BAR offset 2^32")
        #expect(UInt64(msix.tableOffset) + UInt64(msix.entries) * 16 <= bar.size, "inside its BAR")
        try assertRoundTrips(result.counterexamples, "wrap-\(release)")
    }

    /// `--max 5` on a refutable check: distinct views, here fewer than 5 with the view space
    /// exhausted (within 2 devices x 2 BARs, the foreign BAR can only follow the page-aligned
    /// sub-page BAR on its bus: its kind, 32/64-bit and prefetchable or not, is what can differ).
    @Test func distinctViewsUntilExhausted() throws {
        let search = TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                    invariant: .pageExclusive, bounds: SearchBounds(devices: 2, barsPerDevice: 2, bridges: 1))
        let result = try search.run(max: 5, minimize: false)
        #expect(result.unknown == nil)
        #expect(result.counterexamples.count == 4)
        #expect(result.exhausted)
        #expect(Set(result.counterexamples.map(\.view)).count == result.counterexamples.count, "pairwise different views")
        try assertRoundTrips(result.counterexamples, "distinct")
    }

    /// With room for more views than asked, `max` stops the search and it is not exhausted.
    @Test func maxStopsEarly() throws {
        let search = TopologySearch(policy: .mainline,
                                    platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: true),
                                    invariant: .msixNeedsFiltering, bounds: SearchBounds(devices: 1, barsPerDevice: 2, bridges: 0))
        let result = try search.run(max: 2, minimize: true)
        #expect(result.counterexamples.count == 2)
        #expect(!result.exhausted)
        #expect(result.counterexamples[0].view != result.counterexamples[1].view)
        try assertRoundTrips(result.counterexamples, "msix")
    }

    /// A proved check: the bounded search itself finds nothing within its bounds.
    @Test func provedCheckHasNoCounterexampleWithinTheBounds() throws {
        let search = TopologySearch(policy: .mainline, platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive,
                                    bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 1))
        let result = try search.run(max: 1)
        #expect(result.unknown == nil)
        #expect(result.counterexamples.isEmpty)
        #expect(result.exhausted)
    }

    /// `pci=resource_alignment=16@<bdf>` in the bounds grows that device's sub-page BAR to a page:
    /// with both devices named, no counterexample is left; with one named, the other device's BAR
    /// is the one mapped. A firmware-fixed BAR is never realigned, so with fixed BARs allowed the
    /// search finds one that stays sub-page.
    @Test func resourceAlignmentInTheBounds() throws {
        let named = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0;16@0000:00:02.0")
        let fixed = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                       invariant: .pageExclusive,
                                       bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0, resourceAlignment: named)).run(max: 3)
        #expect(!fixed.counterexamples.isEmpty)
        for cx in fixed.counterexamples {
            #expect(cx.topology.function(cx.target.function)?.bar(cx.target.index)?.fixed == true, "only a fixed BAR escapes")
        }
        let both = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0;16@0000:00:02.0")
        let none = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                      invariant: .pageExclusive,
                                      bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0, resourceAlignment: both,
                                                           fixedBARs: false)).run()
        #expect(none.unknown == nil)
        #expect(none.counterexamples.isEmpty)
        let one = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0")
        let found = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                       invariant: .pageExclusive,
                                       bounds: SearchBounds(devices: 3, barsPerDevice: 1, bridges: 0, resourceAlignment: one,
                                                            fixedBARs: false)).run()
        let example = try #require(found.counterexamples.first)
        // The aligned device can be neither half of the pair: its BAR fills a page of its own.
        #expect(example.target.function.description != "0000:00:01.0")
        #expect(example.foreign?.function.description != "0000:00:01.0")
        if let aligned = example.topology.function(PCIAddress("0000:00:01.0")!)?.bars.first(where: { $0.kind.isMemory }) {
            #expect(aligned.size >= 64 << 10, "resized to the alignment")
        }
        try assertRoundTrips(found.counterexamples, "aligned")
    }

    /// The suggested mitigation's proof: on the counterexample's machine, the resource_alignment
    /// value leaves no placement that breaks the invariant; without it (or for a firmware-fixed
    /// BAR, which the kernel does not realign) one remains.
    @Test func mitigationIsProvedOnTheMachine() throws {
        let platform = PlatformSpec(pageSizes: [.kib64])
        let search = TopologySearch(policy: Self.withoutReservation, platform: platform, invariant: .pageExclusive,
                                    bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0))
        let cx = try #require(try search.run(max: 1, minimize: true).counterexamples.first)
        let f = cx.topology.functions
        let shape = MachineShape(devices: f.map { function in
            MachineShape.Device(upstream: 0, slots: function.bars.map {
                MachineShape.Slot(index: $0.index, kind: $0.kind, prefetchable: $0.prefetchable, fixed: $0.fixed, size: $0.size)
            }, msix: function.msix)
        }, bridges: 0)
        var bounds = search.bounds
        #expect(try search.provesShape(shape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds, platform: cx.platform) == .refuted(by: cx.target))
        bounds.resourceAlignment = try ResourceAlignmentParameter(parsing: "16@\(cx.target.function)")
        #expect(try search.provesShape(shape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds, platform: cx.platform) == .proved(targets: 2))
        // Restoring the clause is the other mitigation.
        #expect(try search.provesShape(shape, pageShift: 16, policy: .mainline, bounds: search.bounds, platform: cx.platform) == .proved(targets: 2))
        // A firmware-fixed BAR keeps its place: the kernel ignores the requested alignment.
        var fixedShape = shape
        fixedShape.devices[0].slots[0].fixed = true
        #expect(try search.provesShape(fixedShape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds,
                                       platform: cx.platform) != .proved(targets: 2))
    }
}
