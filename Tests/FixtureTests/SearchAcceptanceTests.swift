import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import VFIORules
import XCTest

/// Issue 6's acceptance points on what `TopologySearch` finds; every counterexample is written,
/// read back through the audit importers, replayed and rendered (``assertRoundTrips(_:)``).
final class SearchAcceptanceTests: XCTestCase {
    static let withoutReservation = try! Policy.mainline.removing(["subpage-reservation"])
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-search-acceptance-\(UUID().uuidString)")

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func assertRoundTrips(_ examples: [TopologyCounterexample], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for (i, cx) in examples.enumerated() {
            let folder = scratch.appendingPathComponent("\(name)-\(i + 1)")
            try FixtureWriter(specPath: "Specs/mainline.yaml", checkID: name).write(cx, to: folder)
            XCTAssertEqual(FixtureRoundTrip.check(counterexample: cx, folder: folder), [], "\(name) #\(i + 1)", file: file, line: line)
            let png = try FixtureRoundTrip.renderedPNGSize(ofSVG: folder.appendingPathComponent(FixtureWriter.svgFile))
            XCTAssertEqual(png.width, MemoryMapSVG.width, file: file, line: line)
            XCTAssertGreaterThan(png.height, 100, file: file, line: line)
        }
    }

    /// Mainline without the sub-page reservation on 64 KiB pages: the minimal counterexample is two
    /// devices with one BAR each, a 4 KiB page-aligned BAR and a foreign BAR in the rest of its page.
    func testMinimalCounterexampleWithoutSubpageReservation() throws {
        let search = TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                    invariant: .pageExclusive, bounds: SearchBounds(devices: 4))
        let result = try search.run(max: 1, minimize: true)
        let example = try XCTUnwrap(result.counterexamples.first)
        let topology = example.topology
        XCTAssertEqual(topology.functions.count, 2)
        XCTAssertEqual(topology.functions.flatMap(\.bars).count, 2)
        let page: UInt64 = 64 << 10
        let target = try XCTUnwrap(topology.function(example.target.function)?.bar(example.target.index))
        let foreignReference = try XCTUnwrap(example.foreign)
        let foreign = try XCTUnwrap(topology.function(foreignReference.function)?.bar(foreignReference.index))
        XCTAssertNotEqual(foreignReference.function, example.target.function)
        XCTAssertEqual(target.size, 4096)
        XCTAssertEqual(target.start % page, 0, "page-aligned")
        XCTAssertEqual(foreign.start / page, target.start / page, "the foreign BAR is in the rest of the target's page")
        XCTAssertGreaterThan(foreign.start, target.end)
        XCTAssertEqual(foreign.size, 4096, "smallest size")
        XCTAssertEqual(foreign.start, target.end + 1, "lowest address")
        XCTAssertTrue(example.mapsWholeBAR)
        XCTAssertEqual(example.platform.backend, .type1)
        XCTAssertEqual(example.view.clause, "mainline.subpage-start-aligned")
        try assertRoundTrips(result.counterexamples, "minimal")
    }

    /// `--max 5` on a refutable check: distinct views, here fewer than 5 with the view space
    /// exhausted (within 2 devices x 2 BARs, the foreign BAR can only follow the page-aligned
    /// sub-page BAR on its bus: its kind, 32/64-bit and prefetchable or not, is what can differ).
    func testDistinctViewsUntilExhausted() throws {
        let search = TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                    invariant: .pageExclusive, bounds: SearchBounds(devices: 2, barsPerDevice: 2, bridges: 1))
        let result = try search.run(max: 5, minimize: false)
        XCTAssertNil(result.unknown)
        XCTAssertEqual(result.counterexamples.count, 4)
        XCTAssertTrue(result.exhausted)
        XCTAssertEqual(Set(result.counterexamples.map(\.view)).count, result.counterexamples.count, "pairwise different views")
        try assertRoundTrips(result.counterexamples, "distinct")
    }

    /// With room for more views than asked, `max` stops the search and it is not exhausted.
    func testMaxStopsEarly() throws {
        let search = TopologySearch(policy: .mainline,
                                    platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: true),
                                    invariant: .msixNeedsFiltering, bounds: SearchBounds(devices: 1, barsPerDevice: 2, bridges: 0))
        let result = try search.run(max: 2, minimize: true)
        XCTAssertEqual(result.counterexamples.count, 2)
        XCTAssertFalse(result.exhausted)
        XCTAssertNotEqual(result.counterexamples[0].view, result.counterexamples[1].view)
        try assertRoundTrips(result.counterexamples, "msix")
    }

    /// A proved check: the bounded search itself finds nothing within its bounds.
    func testProvedCheckHasNoCounterexampleWithinTheBounds() throws {
        let search = TopologySearch(policy: .mainline, platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive,
                                    bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 1))
        let result = try search.run(max: 1)
        XCTAssertNil(result.unknown)
        XCTAssertTrue(result.counterexamples.isEmpty)
        XCTAssertTrue(result.exhausted)
    }

    /// `pci=resource_alignment=16@<bdf>` in the bounds grows that device's sub-page BAR to a page:
    /// with both devices named, no counterexample is left; with one named, the other device's BAR
    /// is the one mapped. A firmware-fixed BAR is never realigned, so with fixed BARs allowed the
    /// search finds one that stays sub-page.
    func testResourceAlignmentInTheBounds() throws {
        let named = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0;16@0000:00:02.0")
        let fixed = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                       invariant: .pageExclusive,
                                       bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0, resourceAlignment: named)).run(max: 3)
        XCTAssertFalse(fixed.counterexamples.isEmpty)
        for cx in fixed.counterexamples {
            XCTAssertEqual(cx.topology.function(cx.target.function)?.bar(cx.target.index)?.fixed, true, "only a fixed BAR escapes")
        }
        let both = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0;16@0000:00:02.0")
        let none = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                      invariant: .pageExclusive,
                                      bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0, resourceAlignment: both,
                                                           fixedBARs: false)).run()
        XCTAssertNil(none.unknown)
        XCTAssertTrue(none.counterexamples.isEmpty)
        let one = try ResourceAlignmentParameter(parsing: "16@0000:00:01.0")
        let found = try TopologySearch(policy: Self.withoutReservation, platform: PlatformSpec(pageSizes: [.kib64]),
                                       invariant: .pageExclusive,
                                       bounds: SearchBounds(devices: 3, barsPerDevice: 1, bridges: 0, resourceAlignment: one,
                                                            fixedBARs: false)).run()
        let example = try XCTUnwrap(found.counterexamples.first)
        // The aligned device can be neither half of the pair: its BAR fills a page of its own.
        XCTAssertNotEqual(example.target.function.description, "0000:00:01.0")
        XCTAssertNotEqual(example.foreign?.function.description, "0000:00:01.0")
        if let aligned = example.topology.function(PCIAddress("0000:00:01.0")!)?.bars.first(where: { $0.kind.isMemory }) {
            XCTAssertGreaterThanOrEqual(aligned.size, 64 << 10, "resized to the alignment")
        }
        try assertRoundTrips(found.counterexamples, "aligned")
    }

    /// The suggested mitigation's proof: on the counterexample's machine, the resource_alignment
    /// value leaves no placement that breaks the invariant; without it (or for a firmware-fixed
    /// BAR, which the kernel does not realign) one remains.
    func testMitigationIsProvedOnTheMachine() throws {
        let platform = PlatformSpec(pageSizes: [.kib64])
        let search = TopologySearch(policy: Self.withoutReservation, platform: platform, invariant: .pageExclusive,
                                    bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0))
        let cx = try XCTUnwrap(try search.run(max: 1, minimize: true).counterexamples.first)
        let f = cx.topology.functions
        let shape = MachineShape(devices: f.map { function in
            MachineShape.Device(upstream: 0, slots: function.bars.map {
                MachineShape.Slot(index: $0.index, kind: $0.kind, prefetchable: $0.prefetchable, fixed: $0.fixed, size: $0.size)
            }, msix: function.msix)
        }, bridges: 0)
        var bounds = search.bounds
        XCTAssertEqual(try search.provesShape(shape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds, platform: cx.platform),
                       .refuted(by: cx.target))
        bounds.resourceAlignment = try ResourceAlignmentParameter(parsing: "16@\(cx.target.function)")
        XCTAssertEqual(try search.provesShape(shape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds, platform: cx.platform),
                       .proved(targets: 2))
        // Restoring the clause is the other mitigation.
        XCTAssertEqual(try search.provesShape(shape, pageShift: 16, policy: .mainline, bounds: search.bounds, platform: cx.platform),
                       .proved(targets: 2))
        // A firmware-fixed BAR keeps its place: the kernel ignores the requested alignment.
        var fixedShape = shape
        fixedShape.devices[0].slots[0].fixed = true
        XCTAssertNotEqual(try search.provesShape(fixedShape, pageShift: 16, policy: Self.withoutReservation, bounds: bounds,
                                                 platform: cx.platform), .proved(targets: 2))
    }
}
