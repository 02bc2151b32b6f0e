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
/// The oracle adds two facts of the search's machines, not of every host: windows on 1 MiB, and a
/// mapped memory BAR of at least ``minBARSize`` (see ``reachable(_:pageShift:)``); so
/// "unreachable" means on every machine the search can build.
/// This is the argument by which a pair-model proof of the whole invariant ends a search
/// (`barproof search` without `--exhaustive`); `ViewExhaustionTests` checks it against the
/// exhaustive search on small bounds.
public struct PairViewOracle {
    public let policy: Policy
    public let platform: PlatformSpec
    public let invariant: Invariant
    public let assumptions: [Assumption]
    /// The smallest memory BAR the search builds (``SearchBounds/minBARSize``): a fact of its
    /// machines about the mapped BAR, if it is a memory BAR (a BAR that `resource_alignment`
    /// resizes only grows).
    public let minBARSize: UInt64
    let limits: QueryLimits
    let seed: UInt32

    public init(policy: Policy, platform: PlatformSpec, invariant: Invariant, assumptions: [Assumption],
                minBARSize: UInt64 = SearchBounds.smallestBARSize, limits: QueryLimits = .none, seed: UInt32 = 0) {
        self.policy = policy
        self.platform = platform
        self.invariant = invariant
        self.assumptions = assumptions
        self.minBARSize = minBARSize
        self.limits = limits
        self.seed = seed
    }

    /// The page sizes of the platform at which some machine the search can build may show a
    /// violation: those where the pair model, with the search's facts, does not prove the
    /// invariant. The search need not look at the others at all: by the argument above, a
    /// machine's counterexample at a page size is a pair-model situation at that page size
    /// (`barproof search` leaves them out and says so). Nil when a query ran out of its limits.
    public func pageSizesToSearch() throws -> [PageSize]? {
        var result: [PageSize] = []
        for page in platform.pageSizes {
            var single = platform
            single.pageSizes = [page]
            // A concrete pair-model counterexample with the search's facts shows the page size
            // needed without a solver.
            let concrete = ViolationSearch.first(invariant, policy: policy, assumptions: assumptions, platform: single,
                                                 neighbours: 1) { a in
                let c = Concrete()
                return searchFacts(Situation<Concrete>.concrete(a, neighbours: 1, pageShift: page.shift), c).allSatisfy { $0 }
            }
            if concrete != nil {
                result.append(page)
                continue
            }
            // Unsatisfiable in linear integers is unsatisfiable as bit-vectors (`IntegerRelaxation`).
            if try !integerRelaxationSatisfiable(pageShift: page.shift) { continue }
            guard let shown = try reachable(nil, pageShift: page.shift) else { return nil }
            if shown { result.append(page) }
        }
        return result
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
    /// ignored), or any violation case without a view; nil when the query hit its limits.
    func reachable(_ key: ViewKey?, pageShift: Int) throws -> Bool? {
        let context = Context()
        let logic = try Symbolic(context)
        let solver = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        solver.limits = limits
        solver.randomSeed = seed
        let s = SituationLayout.make(logic, neighbours: 1, pageShift: pageShift, word: logic.variable, truth: logic.flag)
        for fact in facts(s, logic, pageShift: pageShift) { try solver.assert(fact) }
        guard let key else {
            try solver.assert(invariant.violated(s, logic))
            try logic.throwIfFailed()
            return try Self.answer(solver.check())
        }
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
        return try Self.answer(solver.check())
    }

    /// The query of ``reachable(_:pageShift:)`` without a view, in the integer relaxation:
    /// false when it is unsatisfiable there (then it is as bit-vectors too), true when it is
    /// satisfiable or undecided (which says nothing).
    func integerRelaxationSatisfiable(pageShift: Int) throws -> Bool {
        let context = Context()
        let l = try IntegerRelaxation(context, alignmentShifts: [pageShift])
        let solver = try Solver(context, tactics: ["qflia"], unsatCores: false)
        solver.limits = limits
        solver.randomSeed = seed
        let s = SituationLayout.make(l, neighbours: 1, pageShift: pageShift, word: { l.variable("integer." + $0) }, truth: l.flag)
        let all = l.and(facts(s, l, pageShift: pageShift) + [invariant.violated(s, l)] + l.sideConditions)
        try l.throwIfFailed()
        try solver.assert(all)
        if case .unsat = try solver.check() { return false }
        return true
    }

    /// What every query of the oracle states at one page size, in order: the model facts, the
    /// platform, the assumptions, the policy's grant and the search's own facts.
    private func facts<L: Logic>(_ s: Situation<L>, _ l: L, pageShift: Int) -> [L.Truth] {
        var fixed = platform
        fixed.pageSizes = [PageSize(rawValue: 1 << UInt64(pageShift))!]
        return [s.wellFormed(l), fixed.constrains(s.platform, l)] + assumptions.map { $0.holds(s, l) }
            + [policy.allows(s, l)] + searchFacts(s, l)
    }

    /// The facts of every machine the search builds, about the pair-model situation of its mapped
    /// BAR. The search places every window (the host's, each bridge's) on 1 MiB
    /// (`MachineTerms.allocatorFacts`), so the mapped BAR's parent is such a window, which rules
    /// out views with a neighbour beyond a window edge inside the mapped BAR's page; and its
    /// memory BARs are at least ``minBARSize``.
    private func searchFacts<L: Logic>(_ s: Situation<L>, _ l: L) -> [L.Truth] {
        [l.lowBitsZero(s.parent.start, bits: 20), l.lowBitsZero(s.parent.size, bits: 20),
         l.implies(s.bar.isMemory, l.lessOrEqual(l.word(minBARSize), s.bar.resource.size))]
    }

    private static func answer(_ result: CheckResult) -> Bool? {
        switch result {
        case .sat: true
        case .unsat: false
        case .unknown: nil
        }
    }
}
