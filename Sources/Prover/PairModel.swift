import PCIModel
import VFIORules
import Z3Kit

// # Why the pair model covers every topology
//
// The page invariants speak of one allowed mmap and one byte it exposes. A violation of
// `page-exclusive` is a pair: the mmapped BAR `b` and one foreign resource `c` that the exposed
// range `X` overlaps. A violation of `msix-needs-filtering` is likewise the BAR `b` and the
// resource `t` holding the table (b itself, or another BAR of the same device). A violation of
// `mmap-within-bar` involves `b` alone.
//
// Every rule of every policy is monotone in the rest of the machine: a resource that is neither
// `b`, its parent window `P`, nor the resource in the pair can only make the policy grant *less*:
// `subpage-reservation` must avoid every child of `P`, and no clause grants because something
// exists. Take any machine with a violation by (b, c). Delete every resource except b, c and
// P (and P's ancestors, which only contain P). The clauses still hold for b (monotonicity), the
// tree stays consistent (deleting children keeps a tree a tree), and X still overlaps c. So the
// pair alone violates the invariant. Conversely a pair is itself a machine. Hence "a violation
// exists on some machine" iff "a violation exists in the pair model".
//
// Where can `c` sit relative to P in a consistent tree? It is not b, not an ancestor of b
// (windows pass addresses through; they are not another device's registers), so either it is in
// P's subtree — then it lies inside some child `s` of P with `s != b`, and X overlapping c implies
// X overlapping s, so taking `s` as the neighbour (a child of P) finds the violation — or it is
// outside P's subtree, hence disjoint from P. The model's neighbour is therefore "a child of P"
// or "disjoint from P" (`inParent`), with every field symbolic. The page size is symbolic over the
// spec's set, or fixed by it.
//
// The argument is checked, not just stated: `BoundedCheckTests` runs the same rules over symbolic
// machines of up to 3 devices with up to 3 BARs each and finds no violation where the pair model
// proves none.

// # Encoding notes (measured with barproof-bench and the z3/cvc5 executables on exported cases)
//
// Kept, each measured to help:
// - a fixed page size per query (`CheckRequest` runs one query per page size): page rounding
//   becomes a constant mask and page alignment a low-bit extract;
// - splitting each check into cases (the neighbour completing the violating pair x the size class
//   of the mapped BAR) instead of one disjunction: 200 s -> a few seconds for MSI-X checks;
// - relaxations: reaching a neighbour's MSI-X table implies reaching the neighbour, which is
//   refuted as cheaply as `page-exclusive` (9 s -> 1.3 s on that case);
// - testing the mapped BAR's own MSI-X table in mapping offsets rather than physical addresses
//   (no 64-bit adders with the BAR start): 10x on those cases;
// - the bit-blast tactic pipeline instead of the incremental solver, and no core tracking when
//   only the verdict is needed (core tracking turns off solve-eqs and elim-uncnstr): 3-5x;
// - one representative of symmetric per-neighbour cases in the bounded model;
// - power of two stated as `(x-1)>>1 & ~(x-1) == 0` (bitwise; about 1.2x).
// What was hard: the SAT search over 64-bit adder chains. Proving `s + off + len - 1 <= s + z - 1`
// from `off + len <= z` alone took 3.3 s in z3 (bit-blast pipeline); `off + len - 1 <= z - 1`
// alone 0.12 s. The next four steps take those adders out of the comparisons; each is exact for
// all values (the differential test compares every probe with `Concrete`), none is a constraint:
// - `Symbolic` keeps the linear form (sum of atoms mod 2^64) of every sum, difference,
//   complement and page rounding it builds, and compares two sums that share summands `c` on
//   the rest and the carries of `c + x`, `c + y` (`ite(carry x == carry y, x <= y, carry x)`):
//   the 3.3 s lemma above becomes 10 ms;
// - every start address is relative to the mapped BAR's page: `bar.start` is a page number over
//   an in-page offset, other starts are `pgdn(bar.start) + variable` (changes of variables), so
//   all addresses share the one page base that comparisons split off first;
// - with a fixed page size the mapped BAR is split into three parts (`Part`: page-aligned
//   sub-page; page-aligned whole pages; the rest), the first two as changes of variables on
//   their ground, so page rounding of the start, size and last byte folds to known terms.
//   These three together, same time, loaded machine: `barproof prove Specs` --jobs 1 46 s ->
//   12 s; per spec file at one page size 4-8x (legacy 4K 13.8 -> 2.0 s, rfc-v4 4K 21.7 -> 2.7 s);
// - an inclusive end `Y - 1` is compared through `Y` (`x <= Y - 1` is `Y == 0 or x < Y`), so the
//   violation compares the very sums the clauses compare (`off + len` against the rounded size):
//   2x (sum over the six one-page spec files 9.9 -> 5.1 s);
// - the carry of an inclusive end over `c` tested on `Y` against one term `-c`: about 10%
//   (5.0 -> 4.7 s, 4.9 -> 4.4 s in two passes);
// - a comparison with a choice (`ite`, the MSI-X table cut at its BAR's end) compared branch by
//   branch: about 6% (4.0 -> 3.75 s in two passes);
// - the page sizes of one check on threads of their own while a processor is idle
//   (`CheckRequest.run`): `barproof prove Specs` --jobs 1 5.55/4.32/5.43/4.52 -> 3.40/2.72/
//   2.80/2.85 s, --jobs 2 2.91/2.87/2.30/3.43 -> 2.54/2.25/3.13/2.41 s (four alternating runs).
// Overall, same run, the session's start against its end (others were building on the 2 cores):
// total solving time over the six one-page spec files 42.8 -> 4.7 s; `barproof prove Specs`
// --jobs 1 45.3 -> 3.0-3.9 s, --jobs 2 24.6 -> 2.4-3.4 s; barproof-bench median of the 18
// per-check medians 0.97 s -> 0.17-0.25 s (four runs), every check 30-850 ms (was 28 ms-9.9 s).
// Tried and dropped: other tactic pipelines (qfbv, reduce-bv-size, max-bv-sharing, aig,
// propagate-values, no first simplify; same conflicts or more), aggressive simplifier settings,
// SAT parameters (elim_vars, probing, subsumption, scc, asymm_branch, cut off: within noise),
// instantiated monotonicity lemmas for the 64-bit adders (about 1.5x on one case, not general);
// a power of two and natural alignment without adders (`x & (smear(x) << 1) == 0`, smear by
// shifts and ors: 5-25% slower); keeping `Y == 0` from being rewritten to `x == -y` by z3's
// simplifier (1936 -> 1403 conflicts on one query, no time gain); a hand-written QF_LIA
// encoding (wrapping sums as `ite`, natural alignment as a 64-way disjunction of `mod`
// constraints: one page-exclusive query gave no answer in 10 minutes); deciding the cases of one
// check on two threads (a second prover in its own context): `prove --jobs 1` 4.4 -> 3.7 s but
// `--jobs 2` 2.35 -> 3.0 s and 30-40% more CPU, so it hurts where the checks already run in
// parallel (page sizes in parallel without the idle-processor test: --jobs 2 2.4 -> 2.9 s);
// asserting the named clauses outright on the deciding solver instead of under tracking
// literals (4.36/4.41/4.64 -> 4.29/4.41/4.54 s: no difference). What remains is SAT search over carries and relative comparisons: 20-100 ms per part
// query, 3-7 queries per check (more parts made refuted checks slower: 30 -> 60 ms, 9 ms of it
// building three situations).

/// How Z3 solves each query.
public enum SolverStrategy: String, Sendable, CaseIterable {
    /// Preprocess, bit-blast and run the SAT solver afresh on every check
    /// (`simplify, solve-eqs, elim-uncnstr, simplify, bit-blast, sat`), with unsat cores tracked
    /// through the tactics. Measured 10-40x faster on these queries than the incremental solver.
    case bitBlast = "bit-blast"
    /// Z3's incremental QF_BV solver with push/pop and assumptions (its SMT core, which turns off
    /// the bit-vector preprocessing). Kept as the benchmark's baseline.
    case incremental

    static let bitBlastTactics = ["simplify", "solve-eqs", "elim-uncnstr", "simplify", "bit-blast", "sat"]
}

/// Proves or refutes invariants over the pair model, for one platform, reusing one context and
/// one solver (push/pop) across the checks.
public final class PairProver {
    public let platform: PlatformSpec
    public let neighbours: Int
    let context: Context
    let logic: Symbolic
    /// Decides cases; for the bit-blast strategy it tracks no cores, which keeps Z3's
    /// preprocessing and is several times faster.
    let solver: Solver
    private let strategy: SolverStrategy
    private let timeout: UInt32?
    private let seed: UInt32
    /// Finds unsat cores, made on first use with the same model facts.
    private var coreSolverStorage: Solver?
    /// The model with every field a variable (start addresses relative to the BAR's page, see
    /// ``word(_:_:pageShift:)``), split by the size class only: the exported queries.
    private let general: Situation<Symbolic>
    private let generalWords: [(name: String, term: BitVector)]
    /// The parts the solver decides, which together cover the general model (see ``Part``).
    private let parts: [Part]
    private var truthNames: [String] = []
    /// Set by ``CheckRequest`` when another page size has already settled the check.
    var stop: StopSignal? {
        didSet { stop?.attach(interruptHandle) }
    }

    /// - Parameters:
    ///   - platform: The platform facts to hold fixed or open.
    ///   - neighbours: How many other resources to model (1 is the pair model).
    ///   - timeoutMilliseconds: Per-check solver timeout; a check that runs out is `unknown`.
    ///   - seed: The solver's random seed.
    ///   - strategy: How Z3 solves each case.
    public init(platform: PlatformSpec, neighbours: Int = 1, timeoutMilliseconds: UInt32? = nil, seed: UInt32 = 0,
                strategy: SolverStrategy = .bitBlast) throws {
        self.platform = platform
        self.neighbours = neighbours
        context = Context()
        let logic = try Symbolic(context)
        self.logic = logic
        switch strategy {
        case .bitBlast: solver = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        case .incremental: solver = try Solver(context, logic: "QF_BV")
        }
        solver.timeoutMilliseconds = timeoutMilliseconds
        solver.randomSeed = seed
        self.strategy = strategy
        self.timeout = timeoutMilliseconds
        self.seed = seed
        var truths: [String] = []
        let shift = platform.fixedPageShift
        func layout(_ make: (String) -> BitVector) -> (Situation<Symbolic>, [(name: String, term: BitVector)]) {
            var words: [(name: String, term: BitVector)] = []
            truths = []
            let made = SituationLayout.make(
                logic, neighbours: neighbours, pageShift: shift,
                word: { name in
                    let term = make(name)
                    words.append((name, term))
                    return term
                },
                truth: { truths.append($0); return logic.flag($0) })
            return (made, words)
        }
        (general, generalWords) = layout { PairProver.word($0, logic, pageShift: shift) }
        truthNames = truths
        let subpage = general.isSubpage(logic)
        var parts = [Part(situation: general, words: generalWords, condition: subpage),
                     Part(situation: general, words: generalWords, condition: logic.not(subpage))]
        if let shift, strategy == .bitBlast {
            // Where the mapped BAR starts on a page boundary, its start is its page base; where it
            // is also whole pages, or smaller than a page, so is its size. See `Part`.
            let start = general.bar.resource.start, size = general.bar.resource.size
            let startAligned = logic.lowBitsZero(start, bits: shift)
            let wholePages = logic.and(startAligned, logic.lowBitsZero(size, bits: shift))
            let (whole, wholeWords) = layout { PairProver.word($0, logic, pageShift: shift, shape: .alignedWholePages) }
            let (small, smallWords) = layout { PairProver.word($0, logic, pageShift: shift, shape: .alignedSubpage) }
            parts = [Part(situation: general, words: generalWords,
                          condition: logic.or(logic.and(subpage, logic.not(startAligned)),
                                              logic.and(logic.not(subpage), logic.not(wholePages)))),
                     Part(situation: small, words: smallWords, condition: small.isSubpage(logic)),
                     Part(situation: whole, words: wholeWords, condition: logic.not(whole.isSubpage(logic)))]
        }
        self.parts = try parts.map { part in
            var facts = part
            facts.facts = logic.and(part.situation.wellFormed(logic), platform.constrains(part.situation.platform, logic))
            try logic.throwIfFailed()
            return facts
        }
        try logic.throwIfFailed()
    }

    /// A part of the model's space that the solver decides as its own query.
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
    /// unless a clause or assumption is dropped, and holds the counterexamples when one is.
    struct Part {
        let situation: Situation<Symbolic>
        let words: [(name: String, term: BitVector)]
        /// The part's ground, conjoined to every case.
        let condition: BoolTerm
        /// The model facts and the platform over `situation`.
        var facts: BoolTerm?

        init(situation: Situation<Symbolic>, words: [(name: String, term: BitVector)], condition: BoolTerm) {
            self.situation = situation
            self.words = words
            self.condition = condition
        }
    }

    /// The term for the layout's word `name`: a variable, except for start addresses, which are
    /// taken relative to the mapped BAR's page (its start when the page size is symbolic):
    ///
    /// - `bar.start` is `bar.start.page` (the page number) over `bar.start.in-page` (the offset in
    ///   the page), ``Symbolic/pagedVariable(_:pageShift:)``;
    /// - every other start (the parent window, each neighbour) is `pgdn(bar.start) + <name>-from-bar-page`
    ///   (mod 2^64).
    ///
    /// Changes of variables, not constraints: every start address has exactly one such
    /// representation, so every query is satisfiable iff it was with the starts themselves
    /// variables, and a model gives the same machine (``assignment(_:_:)`` evaluates the terms).
    /// Every address becomes a sum over the one page base, so that ``Symbolic`` compares
    /// addresses through their offsets and carries instead of through 64-bit adders.
    static func word(_ name: String, _ logic: Symbolic, pageShift: Int?) -> BitVector {
        word(name, logic, pageShift: pageShift, shape: .general)
    }

    /// The mapped BAR's shape in a ``Part``: any BAR, or one starting on a page boundary that is
    /// whole pages or smaller than a page.
    enum Shape: CaseIterable {
        case general, alignedWholePages, alignedSubpage
    }

    /// The term for the layout's word `name` in a part of `shape` (for the aligned shapes, with
    /// `pageShift` fixed): `bar.start` is its page base alone, and `bar.size` whole pages
    /// (`bar.size.pages` over zero bits) or an in-page count (`bar.size.in-page` zero-extended).
    static func word(_ name: String, _ logic: Symbolic, pageShift: Int?, shape: Shape) -> BitVector {
        if let pageShift, shape != .general {
            switch name {
            case "bar.start": return logic.alignedVariable("bar.start.page", pageShift: pageShift, isBase: true)
            case "bar.size" where shape == .alignedWholePages:
                return logic.alignedVariable("bar.size.pages", pageShift: pageShift, isBase: false)
            case "bar.size": return logic.narrowVariable("bar.size.in-page", pageShift: pageShift)
            default: break
            }
        }
        guard name.hasSuffix(".start") else { return logic.variable(name) }
        let barStart = pageShift.map { logic.pagedVariable("bar.start", pageShift: $0) } ?? logic.variable("bar.start")
        if name == "bar.start" { return barStart }
        guard let pageShift else { return logic.add(barStart, logic.variable(name + "-from-bar")) }
        let base = logic.bitAnd(barStart, logic.word(~((1 << UInt64(pageShift)) - 1)))
        return logic.add(base, logic.variable(name + "-from-bar-page"))
    }

    /// The solver that finds unsat cores: the incremental one itself, or a bit-blast solver
    /// that tracks cores, holding the same model facts and platform.
    private func coreSolver() throws -> Solver {
        if strategy == .incremental { return solver }
        if let coreSolverStorage { return coreSolverStorage }
        let made = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: true)
        made.timeoutMilliseconds = timeout
        made.randomSeed = seed
        coreSolverStorage = made
        return made
    }

    /// The handle that interrupts a running check from another task.
    public var interruptHandle: InterruptHandle { context.interruptHandle }

    private func named(_ policy: Policy, _ assumptions: [Assumption], _ situation: Situation<Symbolic>) -> [NamedAssumption] {
        policy.clauses.map { NamedAssumption($0.id, $0.rule.holds(situation, logic)) }
            + assumptions.map { NamedAssumption($0.rawValue, $0.holds(situation, logic)) }
    }

    /// One query: a case of a part, with the part's facts, under the part's named clauses.
    private struct Query {
        let part: Part
        let violation: Case<Symbolic>
        let named: [NamedAssumption]
    }

    /// The queries of `cases` (the violation's or the premise's) over every part, case by case.
    private func queries(_ cases: (Situation<Symbolic>) -> [Case<Symbolic>], _ invariant: Invariant,
                         _ policy: Policy, _ assumptions: [Assumption]) throws -> [Query] {
        let perPart = parts.map { part in
            (part, named(policy, assumptions, part.situation),
             symmetryReduced(cases(part.situation), invariant).map { $0.and(part.condition, logic) })
        }
        try logic.throwIfFailed()
        let count = perPart.first?.2.count ?? 0
        return (0..<count).flatMap { index in perPart.map { Query(part: $0.0, violation: $0.2[index], named: $0.1) } }
    }

    /// Keeps one representative of the per-neighbour cases.
    ///
    /// Every formula of the model treats the neighbours alike: the model facts, the clauses and the
    /// assumptions quantify over all of them, and their pairwise conditions are symmetric. Swapping
    /// neighbours `i` and `0` in a model therefore gives a model, and turns a violation through
    /// neighbour `i` into one through neighbour `0`. So the case of neighbour `0` is satisfiable iff
    /// some neighbour's case is, and the others need not be solved.
    private func symmetryReduced(_ cases: [Case<Symbolic>], _ invariant: Invariant) -> [Case<Symbolic>] {
        guard let first = invariant.firstNeighbourCase, neighbours > 1 else { return cases }
        return Array(cases.prefix(first + 1))
    }

    /// Splits `cases` by the size class of the mmapped BAR (smaller than a page, or not). Small
    /// cases solve much faster than their disjunction.
    private func bySizeClass(_ cases: [Case<Symbolic>]) -> [Case<Symbolic>] {
        let subpage = general.isSubpage(logic)
        return cases.flatMap { c in [c.and(subpage, logic), c.and(logic.not(subpage), logic)] }
    }

    /// Checks one query on `solver`: its relaxation first when it has one (unsat there is unsat
    /// here, with a core that is valid here too, since the case implies its relaxation), then the
    /// case itself.
    private func check(_ query: Query, on solver: Solver, minimiseCore: Bool) throws -> CheckResult {
        if stop?.isStopped == true { return .unknown(reason: "stopped: another page size settled the check") }
        let facts = query.part.facts ?? logic.yes
        if let relaxation = query.violation.relaxation,
           case let .unsat(core) = try checkUnder(facts, relaxation, on: solver, named: query.named, minimiseCore: minimiseCore) {
            return .unsat(core: core)
        }
        return try checkUnder(facts, query.violation.exact, on: solver, named: query.named, minimiseCore: minimiseCore)
    }

    private func checkUnder(_ facts: BoolTerm, _ formula: BoolTerm, on solver: Solver, named: [NamedAssumption],
                            minimiseCore: Bool) throws -> CheckResult {
        try solver.withScope { () throws -> CheckResult in
            try solver.assert(facts)
            try solver.assert(formula)
            let first = try solver.check(assuming: named)
            guard case let .unsat(core) = first, minimiseCore else { return first }
            return .unsat(core: try minimise(core, among: named, on: solver))
        }
    }

    /// Checks `invariant` under `policy` and `assumptions`.
    ///
    /// Vacuity comes first: a witness of the premise (an allowed mmap the invariant speaks of),
    /// from ``WitnessSearch`` when one of its concrete machines satisfies every formula, else from
    /// the solver. When no case of the premise is satisfiable the check is vacuous and the
    /// violation is not solved: every case of the violation implies the same case of the premise
    /// (``Invariant/violationCases(_:_:)``), so it is unsatisfiable too, and the premise's cores
    /// are the proof's dependencies.
    ///
    /// The violation is split into cases (``Invariant/violationCases(_:_:)`` crossed with the
    /// parts of the model); the invariant is proved iff every case is unsatisfiable. With
    /// `dependencies`, each case is solved again on a core-tracking solver and the proof depends on
    /// the union of the cases' cores (minimised with `minimiseCore`); without, ``Proof/dependencies``
    /// is empty.
    public func check(_ invariant: Invariant, policy: Policy, assumptions: [Assumption] = Assumption.defaults,
                      dependencies findDependencies: Bool = true, minimiseCore: Bool = false) throws -> Verdict {
        var witness = WitnessSearch.first(invariant, policy: policy, assumptions: assumptions, platform: platform,
                                          neighbours: neighbours)
        var vacuityUnknown: String?
        if witness == nil {
            let premises = try queries({ invariant.premiseCases($0, logic) }, invariant, policy, assumptions)
            for premise in premises {
                switch try check(premise, on: solver, minimiseCore: false) {
                case let .sat(model):
                    witness = try assignment(model, premise.part.words)
                case let .unknown(reason):
                    vacuityUnknown = vacuityUnknown ?? reason
                case .unsat:
                    continue
                }
                if witness != nil { break }
            }
            if witness == nil, vacuityUnknown == nil {
                var dependencies: [String] = []
                if findDependencies {
                    switch try cores(of: premises, minimiseCore: minimiseCore) {
                    case let .success(found): dependencies = found
                    case let .failure(why): return .unknown(reason: why.text)
                    }
                }
                let proof = Proof(scope: .allTopologies(neighbours: neighbours), assumptions: assumptions.map(\.rawValue).sorted(),
                                  dependencies: dependencies, vacuityWitness: nil)
                return .vacuous(proof, reason: "no allowed mmap satisfies the premise: \(invariant.premiseText)")
            }
        }
        let cases = try queries({ invariant.violationCases($0, logic) }, invariant, policy, assumptions)
        var unknown: String?
        for violation in cases {
            switch try check(violation, on: solver, minimiseCore: false) {
            case let .unknown(reason):
                unknown = unknown ?? reason
            case let .sat(model):
                let example = Counterexample(assignment: try assignment(model, violation.part.words), neighbours: neighbours,
                                             pageShift: platform.fixedPageShift, allowedBy: policy.clauses.map(\.id),
                                             assumptions: assumptions.map(\.rawValue))
                try recheck(example, invariant: invariant, policy: policy, assumptions: assumptions)
                return .refuted(example)
            case .unsat:
                continue
            }
        }
        if let unknown { return .unknown(reason: unknown) }
        if let vacuityUnknown { return .unknown(reason: "vacuity check: \(vacuityUnknown)") }
        var dependencies: [String] = []
        if findDependencies {
            switch try cores(of: cases, minimiseCore: minimiseCore) {
            case let .success(found): dependencies = found
            case let .failure(why): return .unknown(reason: why.text)
            }
        }
        return .proved(Proof(scope: .allTopologies(neighbours: neighbours), assumptions: assumptions.map(\.rawValue).sorted(),
                             dependencies: dependencies, vacuityWitness: witness))
    }

    /// Why dependencies could not be found (a query ran out of time).
    private struct UnknownReason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// The union of the unsat cores of `queries`, each solved again on the core-tracking solver.
    private func cores(of queries: [Query], minimiseCore: Bool) throws -> Result<[String], UnknownReason> {
        var union = Set<String>()
        let cores = try coreSolver()
        for query in queries {
            switch try check(query, on: cores, minimiseCore: minimiseCore) {
            case let .unsat(core): union.formUnion(core)
            case let .unknown(reason): return .failure(UnknownReason("finding dependencies: \(reason)"))
            case .sat: throw ProverError("a case proved unsatisfiable is satisfiable on the core-tracking solver")
            }
        }
        return .success(union.sorted())
    }

    /// The exact queries of a check, one per case, as self-contained SMT-LIB2 scripts: the model
    /// facts, the platform, the case of the violation, then each clause and assumption. Each is
    /// unsatisfiable iff that case is proved; the check is proved iff all are.
    public func caseQueries(_ invariant: Invariant, policy: Policy, assumptions: [Assumption] = Assumption.defaults,
                            comments: [String] = []) throws -> [String] {
        let named = named(policy, assumptions, general)
        let cases = bySizeClass(symmetryReduced(invariant.violationCases(general, logic), invariant))
        let facts = logic.and(general.wellFormed(logic), platform.constrains(general.platform, logic))
        try logic.throwIfFailed()
        return try cases.enumerated().map { index, violation in
            try solver.withScope {
                try solver.assert(facts)
                try solver.assert(violation.exact)
                let header = comments + [
                    "barproof: \(invariant.rawValue) under \(policy.label), \(platform.label); case \(index + 1) of \(cases.count)",
                    "unsat means this case of the violation is impossible; clauses and assumptions follow the model facts:",
                ] + named.map { "  " + $0.name }
                return try solver.smtlib2(extra: named.map(\.formula), comments: header)
            }
        }
    }

    /// Deletion-based core minimisation: drop each member whose absence keeps the query unsat.
    private func minimise(_ core: [String], among named: [NamedAssumption], on solver: Solver) throws -> [String] {
        var kept = core.sorted()
        var index = 0
        while index < kept.count {
            let trial = kept.enumerated().filter { $0.offset != index }.map(\.element)
            let subset = named.filter { trial.contains($0.name) }
            if case let .unsat(smaller) = try solver.check(assuming: subset) {
                kept = smaller.sorted()
                index = 0
                continue
            }
            index += 1
        }
        return kept
    }

    private func assignment(_ model: Model, _ words: [(name: String, term: BitVector)]) throws -> Assignment {
        var result = Assignment()
        for (name, term) in words { result.words[name] = try model.value(term) }
        for name in truthNames { result.truths[name] = try model.value(logic.flag(name)) }
        if let shift = platform.fixedPageShift { result.words["platform.page-size"] = 1 << UInt64(shift) }
        try logic.throwIfFailed()
        return result
    }

    /// Re-evaluates a counterexample with the concrete rules. One that does not reproduce is a bug.
    private func recheck(_ example: Counterexample, invariant: Invariant, policy: Policy, assumptions: [Assumption]) throws {
        let c = Concrete()
        let s = example.situation
        var failures: [String] = []
        if !s.wellFormed(c) { failures.append("model facts") }
        if !platform.constrains(s.platform, c) { failures.append("platform") }
        for clause in policy.clauses where !clause.rule.holds(s, c) { failures.append(clause.id) }
        for assumption in assumptions where !assumption.holds(s, c) { failures.append(assumption.rawValue) }
        if !invariant.violated(s, c) { failures.append("violation of \(invariant.rawValue)") }
        if !failures.isEmpty {
            throw ProverError("counterexample for \(invariant.rawValue) under \(policy.label) does not reproduce concretely: "
                              + failures.joined(separator: ", ") + " fail")
        }
    }
}
