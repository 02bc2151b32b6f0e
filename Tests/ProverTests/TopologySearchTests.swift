import PCIModel
import Prover
import Testing
import VFIORules

@Suite struct TopologySearchTests {
    static let withoutReservation = try! Policy.mainline.removing(["subpage-reservation"])

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
        let foreignRef = try #require(example.foreign)
        let foreign = try #require(topology.function(foreignRef.function)?.bar(foreignRef.index))
        #expect(foreignRef.function != example.target.function)
        #expect(target.size == 4096)
        #expect(target.start % page == 0)
        #expect(foreign.start / page == target.start / page, "foreign BAR in the rest of the target's page")
        #expect(foreign.start > target.end)
        #expect(topology.placementProblems().isEmpty)
        #expect(example.mapsWholeBAR)
    }
}
