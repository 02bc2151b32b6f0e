import PCIModel
import Prover
import Testing
import VFIORules
import Z3Kit

/// `search --max N` stops once every view the pair model leaves possible has been found
/// (``PairViewOracle``). On small bounds, where the search can be run to exhaustion, the views it
/// finds that way are the views it finds with the oracle's stop: the oracle never rules out a view
/// a machine shows, and never lets the search stop before one is found.
///
/// Time limit: each row runs the deepening search to exhaustion on machines of at most two
/// functions (up to 20 s on a loaded 2-core machine) and again with the stop; 3 minutes.
@Suite(.timeLimit(.minutes(3))) struct ViewExhaustionTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let policy: Policy
        let invariant: Invariant
        let platform: PlatformSpec
        let bounds: SearchBounds
        var testDescription: String { "\(policy.label) \(invariant.rawValue) \(platform.label) \(bounds.devices)x\(bounds.barsPerDevice), \(bounds.bridges) bridge(s)" }
    }

    static let rows: [Row] = [
        Row(policy: try! Policy.mainline.removing(["subpage-reservation"]), invariant: .pageExclusive,
            platform: PlatformSpec(pageSizes: [.kib64]), bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 1)),
        Row(policy: .mainline, invariant: .msixNeedsFiltering,
            platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: true),
            bounds: SearchBounds(devices: 1, barsPerDevice: 2, bridges: 0)),
        Row(policy: .mainline, invariant: .mmapWithinBAR, platform: PlatformSpec(pageSizes: [.kib4], unalignedFixedResources: true),
            bounds: SearchBounds(devices: 1, barsPerDevice: 1, bridges: 0)),
    ]

    @Test(arguments: rows)
    func stopFindsWhatExhaustionFinds(row: Row) throws {
        let deadline = QueryLimits(deadline: .now + .seconds(150))
        let search = TopologySearch(policy: row.policy, platform: row.platform, invariant: row.invariant, bounds: row.bounds,
                                    limits: deadline)
        let exhaustive = try search.run(max: 64)
        try #require(exhaustive.unknown == nil && exhaustive.exhausted, "\(exhaustive)")
        let oracle = PairViewOracle(policy: row.policy, platform: row.platform, invariant: row.invariant,
                                    assumptions: Assumption.defaults(for: row.policy), limits: deadline)
        let possible = try #require(try oracle.possibleViews())
        let stopped = try search.run(max: 64, possible: possible)
        #expect(stopped.unknown == nil && stopped.exhausted)
        #expect(Set(stopped.counterexamples.map(\.view)) == Set(exhaustive.counterexamples.map(\.view)),
                "with the stop: \(stopped.counterexamples.map(\.view.description)); to exhaustion: \(exhaustive.counterexamples.map(\.view.description))")
        #expect(possible.count >= exhaustive.counterexamples.count)
        // The stop fires exactly when every possible view is one these bounds show; on the first
        // row (the shipped page-exclusive refutation, shrunk) it must.
        let stoppedEarly = stopped.notes.contains { $0.hasPrefix("every view a machine can show has been found") }
        #expect(stoppedEarly == (possible.count == exhaustive.counterexamples.count))
        if row.invariant == .pageExclusive { #expect(stoppedEarly, "\(possible.count) possible views, \(exhaustive.counterexamples.count) found") }
    }
}
