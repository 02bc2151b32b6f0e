import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import VFIORules
import Testing
import Z3Kit

/// Every counterexample `TopologySearch` finds for the README's refuted rows is written as a
/// fixture, read back by the audit importers and replayed: the acceptance round trip, on what the
/// search really generates rather than on hand-built machines.
///
/// Time limit: four searches with a 60 s solver timeout each, and a PNG render per counterexample:
/// 20 s on a loaded 2-core machine, but up to 4 minutes if each search ran to its solver timeout,
/// hence 5.
@Suite(.timeLimit(.minutes(5)))
struct SearchRoundTripTests {
    struct Row {
        var name: String
        var policy: Policy
        var platform: PlatformSpec
        var invariant: Invariant
        var max: Int
        var devices = 2
    }

    static var rows: [Row] {
        get throws {
            [
                Row(name: "mainline-without-reservation-64k", policy: try Policy.mainline.removing(["subpage-reservation"]),
                    platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive, max: 2),
                Row(name: "mainline-unsafe-interrupts", policy: .mainline,
                    platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: true),
                    invariant: .msixNeedsFiltering, max: 4),
                Row(name: "mainline-unaligned-fixed", policy: .mainline,
                    platform: PlatformSpec(pageSizes: [.kib4], unalignedFixedResources: true), invariant: .pageExclusive, max: 2),
                Row(name: "legacy-without-table-exclusion", policy: try Policy.legacy.removing(["msix-table-excluded"]),
                    platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false), invariant: .msixNeedsFiltering, max: 1,
                    devices: 1),
            ]
        }
    }

    @Test func everySearchedCounterexampleRoundTrips() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-search-fixtures-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var written = 0
        for row in try Self.rows {
            let search = TopologySearch(policy: row.policy, platform: row.platform, invariant: row.invariant,
                                        bounds: SearchBounds(devices: row.devices, barsPerDevice: 2),
                                        limits: QueryLimits(deadline: .now + .seconds(60)))
            let result = try search.run(max: row.max, minimize: false)
            #expect(result.unknown == nil, "\(row.name)")
            #expect(!result.counterexamples.isEmpty, "\(row.name): no counterexample")
            for (i, cx) in result.counterexamples.enumerated() {
                let folder = scratch.appendingPathComponent("\(row.name)-\(i + 1)")
                try FixtureWriter(spec: try SpecCopy(path: "Specs/\(row.policy.name).yaml"), checkID: row.name).write(cx, to: folder)
                #expect(FixtureRoundTrip.check(counterexample: cx, folder: folder) == [], "\(row.name) #\(i + 1): \(cx.view)")
                let png = try FixtureRoundTrip.renderedPNGSize(ofSVG: folder.appendingPathComponent(FixtureWriter.svgFile))
                #expect(png.width == MemoryMapSVG.width)
                written += 1
            }
        }
        #expect(written >= 4)
    }
}
