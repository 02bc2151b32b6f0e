import PCIModel
import Prover
import Testing
import VFIORules
import Z3Kit

/// `barproof search` leaves out a page size at which the pair model, with the search's facts
/// (windows on 1 MiB, memory BARs of at least the bounds' smallest size), proves the invariant
/// (``PairViewOracle/pageSizesToSearch()``). On small bounds the search can be run to exhaustion
/// at each page size: a page size left out must be one at which it finds nothing, and one it
/// finds something at must be kept. The negative control lowers the smallest BAR below the page,
/// where the refutation without the sub-page reservation needs it: the page size is then kept.
///
/// Time limit: each row searches machines of at most two functions with one BAR each to
/// exhaustion at two page sizes (a few seconds on a loaded 2-core machine); 3 minutes.
@Suite(.timeLimit(.minutes(3))) struct PageSizeSkipTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let minBARSize: UInt64
        /// The page sizes the oracle must keep.
        let kept: [PageSize]
        var testDescription: String { "memory BARs of at least \(sizeText(minBARSize))" }
    }

    static let policy = try! Policy.mainline.removing(["subpage-reservation"])
    static let platform = PlatformSpec(pageSizes: [.kib4, .kib64])

    @Test(arguments: [Row(minBARSize: 4096, kept: [.kib64]), Row(minBARSize: 1024, kept: [.kib4, .kib64])])
    func leftOutPageSizesShowNothing(row: Row) throws {
        let deadline = QueryLimits(deadline: .now + .seconds(150))
        let oracle = PairViewOracle(policy: Self.policy, platform: Self.platform, invariant: .pageExclusive,
                                    assumptions: Assumption.defaults(for: Self.policy), minBARSize: row.minBARSize, limits: deadline)
        let kept = try #require(try oracle.pageSizesToSearch())
        #expect(kept == row.kept)
        for page in Self.platform.pageSizes {
            var single = Self.platform
            single.pageSizes = [page]
            let bounds = SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0, minBARSize: row.minBARSize)
            let search = TopologySearch(policy: Self.policy, platform: single, invariant: .pageExclusive, bounds: bounds,
                                        limits: deadline)
            let result = try search.run(max: 1)
            try #require(result.unknown == nil, "\(page): \(result)")
            #expect(result.counterexamples.isEmpty == !kept.contains(page),
                    "\(page): \(result.counterexamples.count) counterexample(s) to exhaustion, kept by the oracle: \(kept.contains(page))")
        }
    }
}
