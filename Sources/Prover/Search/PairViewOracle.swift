import PCIModel
import VFIORules
import Z3Kit

/// Decides, over the pair model, which views (``ViewKey``) no machine can show, so that
/// `search --max N` can stop once every view still possible has been found instead of proving
/// on the largest machine that no further one exists.
///
/// Why a view the pair model cannot show is on no machine: a machine's counterexample with view K
/// is the situation of its mapped BAR with every other resource as a neighbour, and one of its
/// violation cases, about at most one neighbour, holds with K's bits. Drop every other
/// neighbour: every catalogue clause grants at least as much with fewer resources
/// (`MonotonicityTests`), the assumptions and the model facts quantify over neighbours, and the
/// case and its bits read only the mapped BAR, the platform and that one neighbour. What is left
/// is a pair-model situation that shows K. The bits the pair model does not have (the foreign
/// BAR's width and prefetchability) are left free, so the oracle decides a view up to them.
/// The oracle adds one fact of the search's machines, not of every host: windows on 1 MiB (see
/// ``reachable(_:pageShift:)``); so "unreachable" means on every machine the search can build.
/// This is the argument by which a pair-model proof of the whole invariant ends a search
/// (`barproof search` without `--exhaustive`); `ViewExhaustionTests` checks it against the
/// exhaustive search on small bounds.
public struct PairViewOracle {
    public let policy: Policy
    public let platform: PlatformSpec
    public let invariant: Invariant
    public let assumptions: [Assumption]
    let limits: QueryLimits
    let seed: UInt32

    public init(policy: Policy, platform: PlatformSpec, invariant: Invariant, assumptions: [Assumption],
                limits: QueryLimits = .none, seed: UInt32 = 0) {
        self.policy = policy
        self.platform = platform
        self.invariant = invariant
        self.assumptions = assumptions
        self.limits = limits
        self.seed = seed
    }

    /// Every view the machine model distinguishes for the invariant.
    public static func viewSpace(_ invariant: Invariant) -> [ViewKey] {
        func keys(_ family: ViewFamily, bits: Int) -> [ViewKey] {
            (0..<(1 << bits)).map { n in ViewKey(family: family, bits: (0..<bits).map { n & (1 << $0) != 0 }) }
        }
        switch invariant {
        case .pageExclusive: return keys(.foreignBAR, bits: 6)
        case .msixNeedsFiltering: return keys(.tableInMappedBAR, bits: 3) + keys(.tableInSharedBAR, bits: 3)
        case .mmapWithinBAR: return keys(.outsideBAR, bits: 3)
        }
    }

    /// Bit positions the pair model cannot state (a foreign BAR's width and prefetchability).
    static func freeBits(_ family: ViewFamily) -> Set<Int> { family == .foreignBAR ? [2, 3] : [] }

    /// The views of the view space that may be reachable: those the pair model does not prove
    /// unreachable at some page size. Nil when a query ran out of its limits (nothing is concluded).
    public func possibleViews() throws -> Set<ViewKey>? {
        var possible: Set<ViewKey> = []
        var decided: [ViewKey: Bool] = [:]  // by projection: reachable?
        for key in Self.viewSpace(invariant) {
            let projection = ViewKey(family: key.family, bits: key.bits.enumerated().map { Self.freeBits(key.family).contains($0.offset) ? false : $0.element })
            if decided[projection] == nil {
                var shown = false
                for page in platform.pageSizes where !shown {
                    guard let answer = try reachable(projection, pageShift: page.shift) else { return nil }
                    shown = answer
                }
                decided[projection] = shown
            }
            if decided[projection] == true { possible.insert(key) }
        }
        return possible
    }

    /// Whether some pair-model situation shows a violation case with the view's bits (free bits
    /// ignored); nil when the query hit its limits.
    func reachable(_ key: ViewKey, pageShift: Int) throws -> Bool? {
        let context = Context()
        let logic = try Symbolic(context)
        let solver = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        solver.limits = limits
        solver.randomSeed = seed
        let s = SituationLayout.make(logic, neighbours: 1, pageShift: pageShift, word: logic.variable, truth: logic.flag)
        var fixed = platform
        fixed.pageSizes = [PageSize(rawValue: 1 << UInt64(pageShift))!]
        try solver.assert(s.wellFormed(logic))
        try solver.assert(fixed.constrains(s.platform, logic))
        for assumption in assumptions { try solver.assert(assumption.holds(s, logic)) }
        try solver.assert(policy.allows(s, logic))
        // The search's machines place every window (the host's, each bridge's) on 1 MiB
        // (`MachineTerms.allocatorFacts`), so the mapped BAR's parent is such a window: a fact of
        // every machine the search builds, and what rules out views with a neighbour beyond a
        // window edge inside the mapped BAR's page.
        try solver.assert(logic.lowBitsZero(s.parent.start, bits: 20))
        try solver.assert(logic.lowBitsZero(s.parent.size, bits: 20))
        let free = Self.freeBits(key.family)
        let cases = s.viewCases(invariant, logic) { i in (isMemory: s.neighbours[i].bar.isMemory, is64: logic.yes, prefetchable: logic.yes) }
            .filter { $0.family == key.family && $0.bits.count == key.bits.count }
            .map { c in
                logic.and([c.formula] + zip(c.bits, key.bits).enumerated().compactMap { position, pair in
                    free.contains(position) ? nil : (pair.1 ? pair.0 : logic.not(pair.0))
                })
            }
        try solver.assert(logic.or(cases))
        try logic.throwIfFailed()
        switch try solver.check() {
        case .sat: return true
        case .unsat: return false
        case .unknown: return nil
        }
    }
}
