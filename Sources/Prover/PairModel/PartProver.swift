import PCIModel
import Synchronization
import VFIORules
import Z3Kit

/// Parts of the pair model's space, decided in one Z3 context of their own.
///
/// With a fixed page size the mapped BAR's start and size are split three ways: (1) sub-page,
/// starting on a page boundary; (2) at least a page, starting on a page boundary and a whole
/// number of pages; (3) every other BAR (sub-page off the page grid, or at least a page and
/// off the grid or not whole pages). Together they cover every BAR (a sound case split: the
/// invariant holds iff it holds in every part). Parts (1) and (2) are changes of variables on
/// their own ground: the start is `bar.start.page` over zero bits
/// (``Symbolic/alignedVariable(_:pageShift:isBase:)``), and the size is `bar.size.in-page`
/// zero-extended (1) or `bar.size.pages` over zero bits (2); every such BAR is exactly one
/// assignment of them. There page rounding of the start, the size and the last byte folds to
/// terms ``Symbolic`` knows exactly, so the clauses and the violation compare the same sums
/// (measured: see the encoding notes). The rules require (1) or (2) of a mappable naturally
/// aligned BAR (`subpage-start-aligned`, natural alignment), so part (3) is refuted quickly
/// unless a clause or assumption is dropped, and holds the counterexamples when one is; it is
/// decided first. With a symbolic page size (or the incremental strategy) the parts are the two
/// size classes over the general model.
///
/// ``PairProver`` gives each prover a fixed list of parts, decided in that order, so a part's
/// answers (and models) never depend on whether the provers ran in parallel or in turn.
final class PartProver {
    enum Kind {
        /// (3) above: every BAR that is not a page-aligned sub-page BAR or page-aligned whole pages.
        case rest
        /// (1) above.
        case alignedSubpage
        /// (2) above.
        case alignedWholePages
        /// The general model, the BAR smaller than a page.
        case subpage
        /// The general model, the BAR at least a page.
        case notSubpage
    }

    /// One part: its situation over the part's terms and its ground.
    struct Part {
        let kind: Kind
        /// Where the part comes in ``PairProver``'s order of all parts.
        let order: Int
        let situation: Situation<Symbolic>
        /// The terms of the layout's words, by name, to read a model back.
        let words: [(name: String, term: BitVector)]
        let truthNames: [String]
        /// The part's ground, conjoined to every case.
        let condition: BoolTerm
        /// The model facts and the platform over `situation`.
        let facts: BoolTerm
        /// The same part without neighbours, over the same variables (see ``Query/lean``).
        let lean: Situation<Symbolic>
        /// The model facts and the platform over `lean`.
        let leanFacts: BoolTerm
        /// The same part in linear integer arithmetic (``IntegerRelaxation``): its situation over
        /// integer variables, its ground, and its model facts and platform.
        let integer: (situation: Situation<IntegerRelaxation>, condition: BoolTerm, facts: BoolTerm,
                      words: [(name: String, term: IntegerTerm)], lean: Situation<IntegerRelaxation>, leanFacts: BoolTerm)
    }

    let context: Context
    let logic: Symbolic
    /// Decides cases; for the bit-blast strategy it tracks no cores, which keeps Z3's
    /// preprocessing and is several times faster.
    let solver: Solver
    private let strategy: SolverStrategy
    /// What every solver of this prover obeys (lowered for a while by ``budgeted(integers:bitVectors:_:)``).
    private let limits: QueryLimits
    private let seed: UInt32
    private let platform: PlatformSpec
    private let neighbours: Int
    /// Finds unsat cores, made on first use.
    private var coreSolverStorage: Solver?
    /// In ascending ``Part/order``.
    let parts: [Part]
    /// The parts' integer relaxations are built here, in the same context.
    let integers: IntegerRelaxation
    /// Decides integer relaxations (see ``integerSolver()``), made on first use.
    private var integerSolverStorage: Solver?
    /// The same with core tracking (``integerCoreSolver()``), made on first use.
    private var integerCoreSolverStorage: Solver?
    /// Where ``context`` came from when it is reused. It is given back when the prover goes, and
    /// lent again only once nothing refers to the context any more (``ContextPool``), whatever
    /// order the prover's properties are released in.
    private let lease: ContextLease?

    /// - Parameter reuseContext: Take a context that an earlier prover gave back
    ///   (``ContextLease``): only for verdicts, where neither models nor cores nor the steps a
    ///   query takes are reported from this prover.
    init(_ kinds: [(order: Int, kind: Kind)], platform: PlatformSpec, neighbours: Int, limits: QueryLimits,
         seed: UInt32, strategy: SolverStrategy, reuseContext: Bool = false) throws {
        self.platform = platform
        self.neighbours = neighbours
        self.strategy = strategy
        self.limits = limits
        self.seed = seed
        lease = reuseContext ? ContextLease() : nil
        context = lease?.context ?? Context()
        let logic = try Symbolic(context)
        self.logic = logic
        switch strategy {
        case .bitBlast: solver = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        case .incremental: solver = try Solver(context, logic: "QF_BV")
        }
        solver.limits = limits
        solver.randomSeed = seed
        let integers = try IntegerRelaxation(context, alignmentShifts: platform.fixedPageShift.map { [$0] } ?? [])
        self.integers = integers
        parts = try kinds.sorted { $0.order < $1.order }.map { order, kind in
            try Self.part(kind, order: order, logic, integers, platform: platform, neighbours: neighbours)
        }
    }

    /// The ground of a part of `kind` over `s`; see the type's documentation.
    private static func ground<L: Logic>(_ kind: Kind, _ s: Situation<L>, _ l: L, shift: Int?) -> L.Truth {
        let subpage = s.isSubpage(l)
        switch kind {
        case .rest:
            // Where the mapped BAR starts on a page boundary, its start is its page base; where it
            // is also whole pages, or smaller than a page, so is its size: those are parts (1), (2).
            let startAligned = l.lowBitsZero(s.bar.resource.start, bits: shift ?? 0)
            let wholePages = l.and(startAligned, l.lowBitsZero(s.bar.resource.size, bits: shift ?? 0))
            return l.or(l.and(subpage, l.not(startAligned)), l.and(l.not(subpage), l.not(wholePages)))
        case .alignedSubpage:
            return l.and(subpage, l.lowBitsZero(s.bar.resource.start, bits: shift ?? 0))
        case .subpage:
            return subpage
        case .alignedWholePages:
            let start = s.bar.resource.start, size = s.bar.resource.size
            return l.and(l.not(subpage), l.lowBitsZero(start, bits: shift ?? 0), l.lowBitsZero(size, bits: shift ?? 0))
        case .notSubpage:
            return l.not(subpage)
        }
    }

    private static func part(_ kind: Kind, order: Int, _ logic: Symbolic, _ integers: IntegerRelaxation,
                             platform: PlatformSpec, neighbours: Int) throws -> Part {
        let shift = platform.fixedPageShift
        let shape: PairProver.Shape = switch kind {
        case .alignedSubpage: .alignedSubpage
        case .alignedWholePages: .alignedWholePages
        case .rest, .subpage, .notSubpage: .general
        }
        var words: [(name: String, term: BitVector)] = []
        var truths: [String] = []
        let made = SituationLayout.make(
            logic, neighbours: neighbours, pageShift: shift,
            word: { name in
                let term = PairProver.word(name, logic, pageShift: shift, shape: shape)
                words.append((name, term))
                return term
            },
            truth: { truths.append($0); return logic.flag($0) })
        // In the aligned parts the alignment in the ground holds by the change of variables and
        // folds away; it is stated for the integer part below, where it does not.
        let condition = ground(kind, made, logic, shift: shift)
        let facts = logic.and(made.wellFormed(logic), platform.constrains(made.platform, logic))
        // The same words by name are the same Z3 constants, so `lean` shares every variable with
        // `made` but has no neighbours.
        let lean = SituationLayout.make(logic, neighbours: 0, pageShift: shift,
                                        word: { PairProver.word($0, logic, pageShift: shift, shape: shape) },
                                        truth: { logic.flag($0) })
        let leanFacts = logic.and(lean.wellFormed(logic), platform.constrains(lean.platform, logic))
        try logic.throwIfFailed()
        // The integer part spans the same ground with plain variables: the aligned shapes, which
        // the bit-vector part gets by its change of variables, are part of its ground here.
        var integerWords: [(name: String, term: IntegerTerm)] = []
        let integer = SituationLayout.make(integers, neighbours: neighbours, pageShift: shift,
                                           word: { name in
                                               let term = integers.variable("integer." + name)
                                               integerWords.append((name, term))
                                               return term
                                           },
                                           truth: { integers.flag($0) })
        let integerGround = ground(kind, integer, integers, shift: shift)
        let integerFacts = integers.and(integer.wellFormed(integers), platform.constrains(integer.platform, integers))
        let integerLean = SituationLayout.make(integers, neighbours: 0, pageShift: shift,
                                               word: { integers.variable("integer." + $0) }, truth: { integers.flag($0) })
        let integerLeanFacts = integers.and(integerLean.wellFormed(integers), platform.constrains(integerLean.platform, integers))
        try integers.throwIfFailed()
        return Part(kind: kind, order: order, situation: made, words: words, truthNames: truths, condition: condition,
                    facts: facts, lean: lean, leanFacts: leanFacts,
                    integer: (integer, integerGround, integerFacts, integerWords, integerLean, integerLeanFacts))
    }

    /// The handle that interrupts this prover's running check from another thread.
    var interruptHandle: InterruptHandle { context.interruptHandle }

    static func named<L: Logic>(_ policy: Policy, _ assumptions: [Assumption], _ situation: Situation<L>,
                                _ logic: L) -> [NamedAssumption] where L.Truth == BoolTerm {
        policy.clauses.map { NamedAssumption($0.id, $0.rule.holds(situation, logic)) }
            + assumptions.map { NamedAssumption($0.rawValue, $0.holds(situation, logic)) }
    }

    /// Keeps one representative of the per-neighbour cases.
    ///
    /// Every formula of the model treats the neighbours alike: the model facts, the clauses and the
    /// assumptions quantify over all of them, and their pairwise conditions are symmetric. Swapping
    /// neighbours `i` and `0` in a model therefore gives a model, and turns a violation through
    /// neighbour `i` into one through neighbour `0`. So the case of neighbour `0` is satisfiable iff
    /// some neighbour's case is, and the others need not be solved.
    static func symmetryReduced<L: Logic>(_ cases: [Case<L>], _ invariant: Invariant, neighbours: Int) -> [Case<L>] {
        guard let first = invariant.firstNeighbourCase, neighbours > 1 else { return cases }
        return Array(cases.prefix(first + 1))
    }

    /// The cases of `part` under the named clauses and assumptions, ready to decide.
    func queries(_ part: Part, _ cases: CaseSource,
                 _ invariant: Invariant, _ policy: Policy, _ assumptions: [Assumption]) throws -> [Query] {
        let named = Self.named(policy, assumptions, part.situation, logic)
        // The cases that are not about a neighbour, over the part without neighbours.
        let leanCount = invariant.firstNeighbourCase ?? Int.max
        let leanCases = leanCount > 0 ? cases.of(invariant, part.lean, logic) : []
        let leanNamed = Self.named(policy, assumptions, part.lean, logic)
        emptiness[part.order] = nil
        let integerCases = Self.symmetryReduced(cases.of(invariant, part.integer.situation, integers), invariant,
                                                neighbours: neighbours)
        let integerNamed = Self.named(policy, assumptions, part.integer.situation, integers)
        // The cases that are not about a neighbour, in integers without neighbours (both relaxations).
        let integerLeanCases = leanCount > 0 ? cases.of(invariant, part.integer.lean, integers) : []
        let integerLeanNamed = integerLeanCases.isEmpty && part.kind != .rest
            ? [] : Self.named(policy, assumptions, part.integer.lean, integers)
        let empty = part.kind == .rest
            ? (condition: part.condition, named: leanNamed, facts: part.leanFacts,
               integer: (condition: part.integer.condition, named: integerLeanNamed, facts: part.integer.leanFacts),
               key: EmptinessKey(platform: platform, rules: policy.clauses.map(\.rule), assumptions: assumptions))
            : nil
        let made = Self.symmetryReduced(cases.of(invariant, part.situation, logic), invariant, neighbours: neighbours)
            .enumerated().map { index, violation in
                let lean = index < min(leanCount, leanCases.count)
                    ? (violation: leanCases[index].and(part.condition, logic), named: leanNamed, facts: part.leanFacts) : nil
                let integer: (violation: BoolTerm, named: [NamedAssumption], facts: BoolTerm, lean: Bool)?
                if index < min(leanCount, integerLeanCases.count) {
                    integer = (integers.and(integerLeanCases[index].exact, part.integer.condition), integerLeanNamed,
                               part.integer.leanFacts, true)
                } else if index < integerCases.count {
                    integer = (integers.and(integerCases[index].exact, part.integer.condition), integerNamed,
                               part.integer.facts, false)
                } else {
                    integer = nil
                }
                let kind = part.kind, shift = platform.fixedPageShift, platform = platform, neighbours = neighbours
                let satisfies: (Assignment, Set<String>?) -> Bool = { machine, only in
                    let c = Concrete()
                    let s = Situation<Concrete>.concrete(machine, neighbours: neighbours, pageShift: shift)
                    let exact = Self.symmetryReduced(cases.of(invariant, s, c), invariant, neighbours: neighbours)
                    return s.wellFormed(c) && platform.constrains(s.platform, c) && Self.ground(kind, s, c, shift: shift)
                        && policy.clauses.allSatisfy { only?.contains($0.id) == false || $0.rule.holds(s, c) }
                        && assumptions.allSatisfy { only?.contains($0.rawValue) == false || $0.holds(s, c) }
                        && index < exact.count && exact[index].exact
                }
                return Query(part: part, violation: violation.and(part.condition, logic), named: named, lean: lean,
                             empty: empty, integer: integer, satisfies: satisfies)
            }
        try integers.throwIfFailed()
        try logic.throwIfFailed()
        return made
    }

    /// One case of one part, with the part's named clauses and assumptions.
    struct Query {
        let part: Part
        let violation: Case<Symbolic>
        let named: [NamedAssumption]
        /// For a case that is not about a neighbour (`mmap-within-bar`, the mapped BAR's own MSI-X
        /// table): the same case over the part without neighbours, tried first.
        ///
        /// A relaxation: every formula of the model is a conjunction with one conjunct per neighbour
        /// (model facts, clauses, assumptions: see the pair-model argument in PairModel.swift) and
        /// these cases mention none, so the query with a neighbour implies the query without. When
        /// the lean query is unsatisfiable so is the case, with a core valid for it (each clause
        /// and assumption implies its lean form). When it is satisfiable, the case itself is
        /// decided (a machine without a neighbour need not extend to one with). It is much smaller:
        /// no neighbour, no reservation or tree facts about it.
        let lean: (violation: Case<Symbolic>, named: [NamedAssumption], facts: BoolTerm)?
        /// For the rest part: its ground alone, without neighbours and without any case, tried once
        /// before its cases. Natural alignment and `subpage-start-aligned` leave no mappable BAR
        /// there unless a clause or assumption is dropped, so the part is usually empty, and then
        /// every case of it is unsatisfiable (a relaxation of each, as for ``lean``). Used for
        /// verdicts only: its core would name alignment for cases that need none.
        let empty: (condition: BoolTerm, named: [NamedAssumption], facts: BoolTerm,
                    integer: (condition: BoolTerm, named: [NamedAssumption], facts: BoolTerm), key: EmptinessKey)?
        /// The case in linear integer arithmetic (``IntegerRelaxation``), tried first when deciding
        /// verdicts: unsatisfiable there is unsatisfiable here.
        let integer: (violation: BoolTerm, named: [NamedAssumption], facts: BoolTerm, lean: Bool)?
        /// Whether a machine satisfies this query, evaluated with ``Concrete``: every model fact,
        /// the platform, each clause and assumption (those named in the set, when one is given),
        /// the part's ground and the case. A model of the integer relaxation that passes it is a
        /// machine of the query itself.
        let satisfies: (Assignment, Set<String>?) -> Bool
        /// Which clauses and assumptions the query asserts (nil: all of them).
        var only: Set<String>? = nil

        /// The same case under only the clauses and assumptions named in `names`: the others
        /// are not asserted (nor read by ``holds(_:)``), and the rest part's emptiness, which rests on
        /// all of them, is not used.
        func restricted(to names: Set<String>) -> Query {
            func kept(_ named: [NamedAssumption]) -> [NamedAssumption] { named.filter { names.contains($0.name) } }
            var made = Query(part: part, violation: violation, named: kept(named),
                             lean: lean.map { ($0.violation, kept($0.named), $0.facts) }, empty: nil,
                             integer: integer.map { ($0.violation, kept($0.named), $0.facts, $0.lean) }, satisfies: satisfies)
            made.only = names
            return made
        }

        func holds(_ machine: Assignment) -> Bool { satisfies(machine, only) }
    }

    /// Whether each part (by order) is empty under the clauses of the last ``queries(_:_:_:_:_:)``,
    /// once decided.
    private var emptiness: [Int: CheckResult] = [:]

    /// What one query says.
    enum Answer {
        /// The case holds on this machine.
        case satisfiable(Assignment)
        /// The case could not be decided (it ran out, or was interrupted).
        case unknown(String)
        /// The case does not hold; with cores tracked, these clauses and assumptions rule it out.
        case unsatisfiable(core: [String])
    }

    /// Runs `body` with the integer solvers' resource limit at most `integers` and the bit-vector
    /// solvers' at most `bitVectors` (Z3's `rlimit`, counted per query and the same on every
    /// machine), then restores the limits.
    func budgeted<T>(integers: UInt32, bitVectors: UInt32, _ body: () throws -> T) throws -> T {
        let integerSolvers = [try integerSolver(), try integerCoreSolver()]
        let bitVectorSolvers = [solver, try coreSolver()]
        func limit(_ solvers: [Solver], to steps: UInt32?) {
            var lowered = limits
            if let steps { lowered.resourceLimit = min(limits.resourceLimit ?? .max, steps) }
            for made in solvers { made.limits = lowered }
        }
        limit(integerSolvers, to: integers)
        limit(bitVectorSolvers, to: bitVectors)
        defer {
            limit(integerSolvers, to: nil)
            limit(bitVectorSolvers, to: nil)
        }
        return try body()
    }

    /// Decides `query`; with `cores`, on the core-tracking solvers, so that an unsatisfiable
    /// answer names the clauses and assumptions that rule the case out.
    ///
    /// Four stages, in order; each of the first three either settles the case soundly or passes
    /// it on, and says at its definition why it is sound and which test checks that:
    /// ``emptyPart(_:on:)``, ``integerRelaxation(_:cores:leanWorthTrying:)``,
    /// ``withoutNeighbours(_:on:)``, then ``exact(_:on:)``.
    /// With `cores` every stage but the first runs, each on its core-tracking solver: a core of the
    /// integer relaxation or of the case without neighbours is a core of the case itself (each
    /// clause and assumption implies its relaxed form, so a relaxation unsatisfiable under some of
    /// them leaves the case unsatisfiable under the same ones), and a model is a model as ever.
    func decide(_ query: Query, cores: Bool, stop: StopSignal) throws -> Answer {
        // A stop interrupts the check running then; the later stages must not start.
        let stopped = Answer.unknown("stopped")
        let on = cores ? try coreSolver() : solver
        if !cores, let answer = try emptyPart(query, on: on) { return answer }
        if stop.isStopped { return stopped }
        var leanWorthTrying = true
        if let answer = try integerRelaxation(query, cores: cores, leanWorthTrying: &leanWorthTrying) {
            return answer
        }
        if stop.isStopped { return stopped }
        if leanWorthTrying, let answer = try withoutNeighbours(query, on: on) {
            return answer
        }
        if stop.isStopped { return stopped }
        return try exact(query, on: on)
    }

    /// Stage 1, verdicts only: the rest part's ground alone (``Query/empty``), decided once per
    /// part. Sound: every case of the part conjoins that ground, and the ground without
    /// neighbours is implied by the ground with them (``Query/empty``), so an empty part leaves
    /// every case unsatisfiable. Checked by `PremiseTests.withoutNeighboursIsARelaxation` (each
    /// fact with neighbours implies it without). Decided in linear integer arithmetic first
    /// (``integerEmptiness(_:)``), as bit-vectors when that does not settle it. Not when finding
    /// cores: the emptiness rests on alignment, which proofs whose cases need no such thing would
    /// then name (`msix-safe-interrupts` needs only the attach check); each case's own core is
    /// found instead.
    ///
    /// With ``sharesEmptiness`` a rest part this process has already found empty is not solved
    /// again when this query has at least the clauses and assumptions that emptiness rested on
    /// (its unsat core, ``share(_:)``), on the same platform or a narrower one: whether a formula
    /// is satisfiable does not depend on the context or on what ran before; a rule or assumption
    /// is the same formula over the same part whatever policy names it; and more clauses,
    /// assumptions or platform facts (``PlatformSpec/narrows(_:)``) only add conjuncts, which
    /// keeps an unsatisfiable query unsatisfiable. Off when dependencies are found.
    private func emptyPart(_ query: Query, on: Solver) throws -> Answer? {
        guard let empty = query.empty else { return nil }
        if emptiness[query.part.order] == nil, sharesEmptiness,
           Self.knownEmpty.withLock({ $0.contains { known in empty.key.isNarrower(than: known) } }) {
            emptiness[query.part.order] = .unsat(core: [])
        }
        let result = try emptiness[query.part.order] ?? integerEmptiness(empty.integer)
            ?? check(Case(empty.condition), empty.facts, empty.named, on: on)
        emptiness[query.part.order] = result
        if case .unsat = result {
            if sharesEmptiness { try share(empty) }
            return .unsatisfiable(core: [])
        }
        return nil
    }

    /// The rest part's emptiness in linear integer arithmetic, when it settles it: unsatisfiable
    /// there is unsatisfiable as bit-vectors (``IntegerRelaxation``, whose natural alignment
    /// knows the page grid).
    private func integerEmptiness(_ empty: (condition: BoolTerm, named: [NamedAssumption], facts: BoolTerm)) throws -> CheckResult? {
        let facts = integers.and([empty.facts] + integers.sideConditions)
        let result = try checkUnder(facts, empty.condition, on: try integerSolver(), named: empty.named)
        if case .unsat = result { return result }
        return nil
    }

    /// Records an empty rest part for later checks. The first on a platform is recorded whole
    /// (a run of one check pays nothing more); once a second set of clauses on a platform that
    /// is already known needs its own query, the run has several policies, and the emptiness is
    /// recorded by the clauses and assumptions its unsat core names, so that any check with at
    /// least those (on this platform or a narrower one) finds it empty too. The core is found
    /// after the verdict's own query, so that query's history is as ever; a core that cannot be
    /// had records the whole key.
    private func share(_ empty: (condition: BoolTerm, named: [NamedAssumption], facts: BoolTerm,
                                  integer: (condition: BoolTerm, named: [NamedAssumption], facts: BoolTerm), key: EmptinessKey)) throws {
        let (covered, platformKnown) = Self.knownEmpty.withLock { known in
            (known.contains { empty.key.isNarrower(than: $0) }, known.contains { empty.key.platform.narrows($0.platform) })
        }
        guard !covered else { return }
        var key = empty.key
        if platformKnown, case let .unsat(core) = try check(Case(empty.condition), empty.facts, empty.named, on: try coreSolver()) {
            let named = Set(core)
            let rules = empty.key.rules.indices.filter { named.contains(empty.named[$0].name) }.map { empty.key.rules[$0] }
            let assumptions = empty.key.assumptions.indices
                .filter { named.contains(empty.named[empty.key.rules.count + $0].name) }.map { empty.key.assumptions[$0] }
            key = EmptinessKey(platform: empty.key.platform, rules: rules, assumptions: assumptions)
        }
        _ = Self.knownEmpty.withLock { $0.insert(key) }
    }

    /// What a rest part's emptiness query is built from: the platform (one page size), the rules
    /// and the assumptions (named in the query in that order).
    struct EmptinessKey: Hashable {
        let platform: PlatformSpec
        let rules: [Rule]
        let assumptions: [Assumption]

        /// `known`'s query with more conjuncts, or the same: at least its rules and assumptions,
        /// on its platform or a narrower one.
        func isNarrower(than known: EmptinessKey) -> Bool {
            Set(known.rules).isSubset(of: rules) && Set(known.assumptions).isSubset(of: assumptions)
                && platform.narrows(known.platform)
        }
    }

    /// The rest parts found empty in this process.
    private static let knownEmpty = Mutex(Set<EmptinessKey>())

    /// Forgets every shared emptiness (a benchmark's rounds each start as a new process would).
    static func forgetKnownEmpty() { knownEmpty.withLock { $0.removeAll() } }

    /// Whether ``emptyPart(_:on:)`` may use and add to ``knownEmpty`` (verdicts only).
    var sharesEmptiness = false

    /// Stage 2: the case in linear integer arithmetic (``Query/integer``), which decides most
    /// cases far faster than bit-blasting, with cores on `qflia` itself when they are asked for.
    /// Sound when unsatisfiable, with a core valid for the case: it is a relaxation (every formula
    /// can take its concrete value, each non-linear operation a fresh integer), checked by
    /// `IntegerRelaxationTests.formulasCanTakeTheirConcreteValues` with a negative control, and
    /// each clause and assumption implies its relaxed form. A model is used only when the machine
    /// it gives satisfies the query itself under ``Concrete`` (``Query/holds(_:)``, the same
    /// formulas: `PartEncodingTests` checks `Symbolic` and `Concrete` agree on every part term).
    /// When the whole case (not its
    /// lean form) had a model that is not a machine, the case most likely holds too, so
    /// `leanWorthTrying` sends it straight to the exact query.
    private func integerRelaxation(_ query: Query, cores: Bool, leanWorthTrying: inout Bool) throws -> Answer? {
        guard let integer = query.integer else { return nil }
        let facts = integers.and([integer.facts] + integers.sideConditions)
        let on = cores ? try integerCoreSolver() : try integerSolver()
        switch try checkUnder(facts, integer.violation, on: on, named: integer.named) {
        case let .unsat(core):
            return .unsatisfiable(core: cores ? core : [])
        case let .sat(model):
            var machine = try integerAssignment(model, query.part)
            if integer.lean { withHarmlessNeighbours(&machine) }
            if query.holds(machine) { return .satisfiable(machine) }
            if !integer.lean { leanWorthTrying = false }
            return nil
        case .unknown:
            return nil
        }
    }

    /// Stage 3: for a case that is not about a neighbour, the same case without neighbours
    /// (``Query/lean``). Sound when unsatisfiable, with a core valid for the case: each model
    /// fact, clause and assumption with neighbours implies its form without them, and these
    /// cases read no neighbour (`PremiseTests.withoutNeighboursIsARelaxation`, every invariant,
    /// 3,000 random machines each). A model is used only when, given neighbours that no rule can
    /// object to, it satisfies the query itself under ``Concrete`` (``Query/holds(_:)``).
    private func withoutNeighbours(_ query: Query, on: Solver) throws -> Answer? {
        guard let lean = query.lean else { return nil }
        switch try check(lean.violation, lean.facts, lean.named, on: on) {
        case let .unsat(core):
            return .unsatisfiable(core: core)
        case let .sat(model):
            var machine = try assignment(model, query.part)
            withHarmlessNeighbours(&machine)
            return query.holds(machine) ? .satisfiable(machine) : nil
        default:
            return nil
        }
    }

    /// Stage 4: the case itself, the exact bit-vector query `export-smt2` writes (and `z3` and
    /// `cvc5` re-check: `ExportedQueryTests`).
    private func exact(_ query: Query, on: Solver) throws -> Answer {
        switch try check(query.violation, query.part.facts, query.named, on: on) {
        case let .sat(model):
            return .satisfiable(try assignment(model, query.part))
        case let .unknown(reason): return .unknown(reason)
        case let .unsat(core): return .unsatisfiable(core: core)
        }
    }

    /// Gives `machine` neighbours that no rule or assumption can object to: BARs of other devices,
    /// claimed, one byte each just past the parent window (or just before it when the window ends
    /// the address space), outside it. A machine found without neighbours often stays a machine of
    /// its case with them; ``Query/holds(_:)`` decides.
    private func withHarmlessNeighbours(_ machine: inout Assignment) {
        let start = machine.word(SituationLayout.Name.parentStart), size = machine.word(SituationLayout.Name.parentSize)
        let (last, wraps) = start.addingReportingOverflow(size &- 1)
        for i in 0..<neighbours {
            let offset = UInt64(i)
            let place: UInt64
            if !wraps, last < UInt64.max - offset { place = last + 1 + offset } else if start > offset { place = start - 1 - offset } else { return }
            machine.setNeighbour(i, index: 0, start: place, size: 1, sameDevice: false, inParent: false)
        }
    }

    private func integerAssignment(_ model: Model, _ part: Part) throws -> Assignment {
        var result = Assignment()
        for (name, term) in part.integer.words { result.words[name] = try model.value(term) }
        for name in part.truthNames { result.truths[name] = try model.value(integers.flag(name)) }
        if let shift = platform.fixedPageShift { result.words[SituationLayout.Name.pageSize] = 1 << UInt64(shift) }
        try integers.throwIfFailed()
        return result
    }

    /// The solver for integer relaxations: Z3's `qflia` tactic afresh on each query, without core
    /// tracking. (Its QF_LIA solver with assumptions, `Z3_mk_solver_for_logic`, took 40-70 ms on
    /// the queries that `qflia` decides in 1-5 ms, as the z3 executable did on the exported text.)
    private func integerSolver() throws -> Solver {
        try made(&integerSolverStorage, tactics: ["qflia"], unsatCores: false)
    }

    /// The integer relaxations' solver that finds unsat cores (dependencies, and `explain`'s
    /// trials), made on first use: Z3's `smt` core after `simplify, propagate-values, solve-eqs`,
    /// with core tracking, not the `qflia` tactic. `qflia`'s own preprocessing turned one of
    /// `explain`'s trials (`mmap-within-bar` without `natural-alignment`) into a query it took 2.5
    /// million steps (25 s) on, where this pipeline takes 13,000; on the shipped specs it is also
    /// faster with cores (`barproof-bench dependencies 3`: `--record` 1.35x -> 1.08x the verdicts,
    /// `explain` 2.00x -> 1.43x a check alone, 49 -> 63 of 64 at most 2x), and `explain` shows
    /// that 10 release `mmap-within-bar` proofs do not need `natural-alignment`. Without
    /// `solve-eqs` the `page-exclusive` trials take 2-4x longer; with `elim-uncnstr` too, no gain.
    /// Both are far faster than bit-blasting the same cases with cores (70-115 ms a case).
    private func integerCoreSolver() throws -> Solver {
        try made(&integerCoreSolverStorage, tactics: ["simplify", "propagate-values", "solve-eqs", "smt"], unsatCores: true)
    }

    /// The solver that finds unsat cores: the incremental one itself, or a bit-blast solver
    /// that tracks cores.
    private func coreSolver() throws -> Solver {
        if strategy == .incremental { return solver }
        return try made(&coreSolverStorage, tactics: SolverStrategy.bitBlastTactics, unsatCores: true)
    }

    /// The solver in `storage`, made there on first use with this prover's limits and seed.
    private func made(_ storage: inout Solver?, tactics: [String], unsatCores: Bool) throws -> Solver {
        if let storage { return storage }
        let solver = try Solver(context, tactics: tactics, unsatCores: unsatCores)
        solver.limits = limits
        solver.randomSeed = seed
        storage = solver
        return solver
    }

    /// Checks one case on `solver`: its relaxation first when it has one (unsat there is unsat
    /// here, with a core that is valid here too, since the case implies its relaxation), then the
    /// case itself.
    private func check(_ query: Case<Symbolic>, _ facts: BoolTerm, _ named: [NamedAssumption],
                       on solver: Solver) throws -> CheckResult {
        if let relaxation = query.relaxation,
           case let .unsat(core) = try checkUnder(facts, relaxation, on: solver, named: named) {
            return .unsat(core: core)
        }
        return try checkUnder(facts, query.exact, on: solver, named: named)
    }

    private func checkUnder(_ facts: BoolTerm, _ formula: BoolTerm, on solver: Solver,
                            named: [NamedAssumption]) throws -> CheckResult {
        try solver.withScope { () throws -> CheckResult in
            try solver.assert(facts)
            try solver.assert(formula)
            return try solver.check(assuming: named)
        }
    }

    private func assignment(_ model: Model, _ part: Part) throws -> Assignment {
        var result = Assignment()
        for (name, term) in part.words { result.words[name] = try model.value(term) }
        for name in part.truthNames { result.truths[name] = try model.value(logic.flag(name)) }
        if let shift = platform.fixedPageShift { result.words[SituationLayout.Name.pageSize] = 1 << UInt64(shift) }
        try logic.throwIfFailed()
        return result
    }
}

/// Which cases of an invariant a query is about.
enum CaseSource {
    case violation, premise

    func of<L: Logic>(_ invariant: Invariant, _ situation: Situation<L>, _ l: L) -> [Case<L>] {
        switch self {
        case .violation: invariant.violationCases(situation, l)
        case .premise: invariant.premiseCases(situation, l)
        }
    }
}

extension PlatformSpec {
    /// Whether every machine this platform allows, `other` allows too: its page sizes and
    /// backends are among `other`'s, and every fact `other` fixes it fixes the same way. Then
    /// ``constrains(_:_:)`` here implies it for `other` (it conjoins a superset of the facts).
    func narrows(_ other: PlatformSpec) -> Bool {
        Set(pageSizes).isSubset(of: other.pageSizes) && Set(backends).isSubset(of: other.backends)
            && (other.msiIsolated == nil || msiIsolated == other.msiIsolated)
            && (other.allowUnsafeInterrupts == nil || allowUnsafeInterrupts == other.allowUnsafeInterrupts)
            && unalignedFixedResources == other.unalignedFixedResources
            && HostFact.allCases.allSatisfy { other.value(of: $0) == nil || value(of: $0) == other.value(of: $0) }
    }
}
