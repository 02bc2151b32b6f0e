import Dispatch
import PCIModel
import Synchronization
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

// # Encoding notes
//
// Why the queries are shaped as they are (docs/performance.md has the measurements behind each
// choice, and what was tried and dropped):
// - one query per fixed page size (`CheckRequest`): page rounding becomes a constant mask and page
//   alignment a low-bit extract;
// - each check split into cases (the neighbour completing the violating pair x the size class of
//   the mapped BAR), each tried first through the relaxations it implies (integer, lean, empty);
// - start addresses relative to the mapped BAR's page (``word(_:_:pageShift:)``) and the BAR split
//   into parts (``PartProver``), so that ``Symbolic`` compares sums over one page base through
//   their carries: SAT search over 64-bit adder chains is what made the queries hard;
// - the bit-blast tactic pipeline without core tracking to decide, cores found afresh on a
//   tracking solver only when dependencies are asked for.

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

/// Proves or refutes invariants over the pair model, for one platform.
///
/// The model is decided in parts, each by a ``PartProver`` with a Z3 context of its own, so that a
/// part's answers never depend on what ran beside it: the provers run on two threads while a
/// processor is idle (a single check, `barproof explain`, the benchmark) and one query after
/// another otherwise (`barproof prove --jobs 2`), with the same verdict, counterexample, witness and
/// dependencies either way (``eachCase(_:_:_:_:cores:stopAtFirst:)``).
public final class PairProver {
    public let platform: PlatformSpec
    public let neighbours: Int
    /// The provers of the parts, which together cover the general model (see ``PartProver``):
    /// made on first use, so that a check the concrete stages settle makes no Z3 context.
    var provers: [PartProver] { get throws { try built().provers } }
    /// Every part, in order: the prover deciding it and its place there.
    private var parts: [(prover: Int, local: Int)] { get throws { try built().parts } }
    private var builtStorage: (provers: [PartProver], parts: [(prover: Int, local: Int)])?
    private let limits: QueryLimits
    private let seed: UInt32
    private let strategy: SolverStrategy
    /// Set by ``CheckRequest`` when another page size has already settled the check.
    var stop: StopSignal?
    /// Whether the provers run on threads of their own: nil while a processor is idle (the
    /// default), or always / never (tests compare the two).
    var parallel: Bool?
    /// Whether every part is decided in one Z3 context: nil for the default (one context, taken
    /// from the ``ContextPool`` for verdicts alone and fresh when dependencies are found), or
    /// always / never (tests; a refutation is decided again with one per part,
    /// ``perPartProver(always:)``). Read when the provers are built, on first use.
    var oneContext: Bool?
    /// Whether ``ViolationSearch`` is tried before the solver (tests turn it off to reach the
    /// solver's own counterexamples).
    var concreteSearch = true

    /// - Parameters:
    ///   - platform: The platform facts to hold fixed or open.
    ///   - neighbours: How many other resources to model (1 is the pair model).
    ///   - limits: What bounds every query (a deadline, Z3's resource limit); a query that runs
    ///     out is `unknown`, and so is the check.
    ///   - seed: The solver's random seed.
    ///   - strategy: How Z3 solves each case.
    public init(platform: PlatformSpec, neighbours: Int = 1, limits: QueryLimits = .none, seed: UInt32 = 0,
                strategy: SolverStrategy = .bitBlast) throws {
        self.platform = platform
        self.neighbours = neighbours
        self.limits = limits
        self.seed = seed
        self.strategy = strategy
    }

    private func built() throws -> (provers: [PartProver], parts: [(prover: Int, local: Int)]) {
        if let builtStorage { return builtStorage }
        // One prover for every part (``oneContext``): each context costs 3-4 ms to make and fill,
        // and the parts then run in turn (measured: `make prove-bench` --jobs 2 2.46 -> 2.10 s,
        // `barproof-bench specs` sum of medians 1.9-2.1 -> 1.5 s; when finding dependencies,
        // `barproof-bench dependencies` --record 1.66x -> 1.31x the verdicts). A fresh context
        // per check and page size, with the parts in a fixed order, keeps the cores, and so the
        // records, the same for every --jobs. One prover per part (tests, and the canonical
        // decision of a refutation) lets the parts run on two threads.
        let fixed = platform.fixedPageShift != nil && strategy == .bitBlast
        let parts: [(order: Int, kind: PartProver.Kind)] = fixed
            ? [(0, .rest), (1, .alignedSubpage), (2, .alignedWholePages)] : [(0, .subpage), (1, .notSubpage)]
        let groups = (oneContext ?? true) ? [parts] : parts.map { [$0] }
        // The one context for verdicts is a reused one (``ContextLease``): what it decides is
        // reported as a verdict alone, since a model it finds is found again with a context per
        // part (``perPartProver(always:)``). Not under Z3's step limit, whose counts depend on
        // the context's history and must be the same in every run.
        let reuse = oneContext == nil && !findingDependencies && limits.resourceLimit == nil
        let provers = try groups.map { group in
            try PartProver(group, platform: platform, neighbours: neighbours, limits: limits,
                           seed: seed, strategy: strategy, reuseContext: reuse)
        }
        var places: [(order: Int, prover: Int, local: Int)] = []
        for (index, prover) in provers.enumerated() {
            for (local, part) in prover.parts.enumerated() { places.append((part.order, index, local)) }
        }
        let made = (provers, places.sorted { $0.order < $1.order }.map { ($0.prover, $0.local) })
        builtStorage = made
        return made
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
    /// variables, and a model gives the same machine (the assignment evaluates the terms).
    /// Every address becomes a sum over the one page base, so that ``Symbolic`` compares
    /// addresses through their offsets and carries instead of through 64-bit adders.
    static func word(_ name: String, _ logic: Symbolic, pageShift: Int?) -> BitVector {
        word(name, logic, pageShift: pageShift, shape: .general)
    }

    /// The mapped BAR's shape in a part: any BAR, or one starting on a page boundary that is
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
            case SituationLayout.barNames.start: return logic.alignedVariable("bar.start.page", pageShift: pageShift, isBase: true)
            case SituationLayout.barNames.size where shape == .alignedWholePages:
                return logic.alignedVariable("bar.size.pages", pageShift: pageShift, isBase: false)
            case SituationLayout.barNames.size: return logic.narrowVariable("bar.size.in-page", pageShift: pageShift)
            default: break
            }
        }
        if let field = boundedField(name, pageShift: pageShift) {
            return logic.boundedVariable(field.name, bits: field.bits, zeroBits: field.zeroBits)
        }
        guard name.hasSuffix(".start") else { return logic.variable(name) }
        let barStart = pageShift.map { logic.pagedVariable(SituationLayout.barNames.start, pageShift: $0) } ?? logic.variable(SituationLayout.barNames.start)
        if name == SituationLayout.barNames.start { return barStart }
        guard let pageShift else { return logic.add(barStart, logic.variable(name + "-from-bar")) }
        let base = logic.bitAnd(barStart, logic.word(~((1 << UInt64(pageShift)) - 1)))
        return logic.add(base, logic.variable(name + "-from-bar-page"))
    }

    /// The fields ``Situation/wellFormed(_:)`` bounds, as the variable that spans exactly that ground:
    /// below `2^bits` with `zeroBits` low zero bits (page-aligned request offsets below 1 TiB and
    /// lengths up to 2^57, QWORD-aligned 32-bit MSI-X offsets, table sizes of 16-byte entries up to
    /// 2048 of them, BIRs and region indices up to 7). A change of variables on that ground: every
    /// query asserts the model facts, so it is satisfiable iff it was with 64-bit variables.
    static func boundedField(_ name: String, pageShift: Int?) -> (name: String, bits: Int, zeroBits: Int)? {
        // A symbolic page size is at least 4 KiB, so page-aligned words have 12 zero bits.
        let page = pageShift ?? 12
        switch name {
        case SituationLayout.Name.mmapOffset: return ("mmap.offset.pages", 40, page)
        case SituationLayout.Name.mmapLength: return ("mmap.length.pages", 58, page)
        case SituationLayout.Name.tableOffset, SituationLayout.Name.pbaOffset: return (name + ".qwords", 32, 3)
        case SituationLayout.Name.tableSize: return ("msix.table-size.entries", 16, 4)
        case SituationLayout.Name.tableBIR, SituationLayout.Name.pbaBIR: return (name + ".low", 3, 0)
        default:
            if name.hasSuffix(".index") { return (name + ".low", 3, 0) }
            return nil
        }
    }

    /// Checks `invariant` under `policy` and `assumptions`.
    ///
    /// A concrete counterexample comes first: a machine of ``ViolationSearch`` on which every
    /// formula and the violation hold refutes the check without a Z3 context (and without a
    /// vacuity phase: a violation implies the premise). Checked by `ViolationSearchTests`.
    ///
    /// A check the platform alone decides is settled next, without the solver either, with the
    /// clauses and assumptions that decide it as its dependencies (``TrivialCases``;
    /// `PartialEvaluationTests`).
    ///
    /// Then vacuity: a witness of the premise (an allowed mmap the invariant speaks of),
    /// from ``WitnessSearch`` when one of its concrete machines satisfies every formula, else from
    /// the solver. When no case of the premise is satisfiable the check is vacuous and the
    /// violation is not solved: every case of the violation implies the same case of the premise
    /// (``Invariant/violationCases(_:_:)``), so it is unsatisfiable too, and the premise's cores
    /// are the proof's dependencies.
    ///
    /// The violation is split into cases (``Invariant/violationCases(_:_:)`` crossed with the
    /// parts of the model); the invariant is proved iff every case is unsatisfiable. With
    /// `dependencies`, each case is decided on its prover's core-tracking solvers (the same stages
    /// as a verdict, in one pass) and the proof depends on the union of the cases' cores (made
    /// irredundant with `minimiseCore`: no name of it can be dropped alone); a refutation found
    /// so is reported as the verdict alone finds it, so that the counterexample does not depend on
    /// whether dependencies were asked for. Without, ``Proof/dependencies`` is empty.
    public func check(_ invariant: Invariant, policy: Policy, assumptions: [Assumption] = Assumption.defaults,
                      dependencies findDependencies: Bool = true, minimiseCore: Bool = false) throws -> Verdict {
        do {
            return try decide(invariant, policy: policy, assumptions: assumptions, dependencies: findDependencies,
                              minimiseCore: minimiseCore)
        } catch is Stopped {
            return .unknown(reason: "stopped: another page size settled the check")
        }
    }

    /// Thrown out of ``eachCase(_:_:_:_:cores:stopAtFirst:)`` when the check as a whole was stopped.
    private struct Stopped: Error {}

    private func decide(_ invariant: Invariant, policy: Policy, assumptions: [Assumption], dependencies findDependencies: Bool,
                        minimiseCore: Bool) throws -> Verdict {
        let scope = Scope.allTopologies(neighbours: neighbours)
        let assumed = assumptions.map(\.rawValue).sorted()
        findingDependencies = findDependencies
        // A check the platform alone decides (see ``TrivialCases``), with the clauses and
        // assumptions that decide it when dependencies are asked for. When no machine can violate
        // the invariant, no concrete search can find one either.
        func trivially(_ formula: @escaping (Situation<PartialEvaluation>, PartialEvaluation) -> Bool?) -> [String]? {
            let found = TrivialCases.dependencies(platform, neighbours: neighbours, policy: policy, assumptions: assumptions,
                                                  irredundant: minimiseCore, formula)
            return findDependencies ? found : found.map { _ in [] }
        }
        let impossible = trivially { s, l in invariant.violated(s, l) }
        // A concrete machine that violates the invariant refutes it, and satisfies the premise too
        // (every violation case implies its premise case), so neither phase below is needed.
        if impossible == nil, concreteSearch, let machine = ViolationSearch.first(invariant, policy: policy, assumptions: assumptions,
                                                                                  platform: platform, neighbours: neighbours) {
            return .refuted(try reported(machine, invariant, policy, assumptions))
        }
        if let dependencies = impossible {
            if let premise = trivially({ s, l in invariant.premise(s, l) }) {
                return .vacuous(Proof(scope: scope, assumptions: assumed, dependencies: premise, vacuityWitness: nil),
                                reason: Self.vacuityReason(invariant))
            }
            if let witness = WitnessSearch.first(invariant, policy: policy, assumptions: assumptions, platform: platform,
                                                 neighbours: neighbours) {
                return .proved(Proof(scope: scope, assumptions: assumed, dependencies: dependencies, vacuityWitness: witness))
            }
        }
        var witness = WitnessSearch.first(invariant, policy: policy, assumptions: assumptions, platform: platform,
                                          neighbours: neighbours)
        var vacuityUnknown: String?
        if witness == nil {
            let premise = CaseSource.premise
            // Every premise query runs, in parallel or in turn alike, so that each prover has the
            // same history when the violation's queries (whose models are reported) follow.
            switch try firstSatisfiable(premise, invariant, policy, assumptions, cores: findDependencies,
                                        minimiseCore: minimiseCore, stopAtFirst: false) {
            case let .satisfiable(found): witness = found
            case let .unknown(reason): vacuityUnknown = reason
            case let .unsatisfiable(dependencies):
                return .vacuous(Proof(scope: scope, assumptions: assumed, dependencies: dependencies, vacuityWitness: nil),
                                reason: Self.vacuityReason(invariant))
            }
        }
        let violation = CaseSource.violation
        switch try firstSatisfiable(violation, invariant, policy, assumptions, cores: findDependencies,
                                    minimiseCore: minimiseCore, stopAtFirst: true) {
        case let .satisfiable(assignment):
            if let canonical = try findDependencies ? perPartProver(always: true) : perPartProver() {
                // A model depends on the contexts' histories: the counterexample reported is the
                // one the prover with a context per part finds, as `explain` (which finds
                // dependencies) and every earlier release report it.
                return try canonical.check(invariant, policy: policy, assumptions: assumptions, dependencies: false,
                                           minimiseCore: minimiseCore)
            }
            return .refuted(try reported(assignment, invariant, policy, assumptions))
        case let .unknown(reason):
            return .unknown(reason: reason)
        case let .unsatisfiable(dependencies):
            if let vacuityUnknown { return .unknown(reason: "vacuity check: \(vacuityUnknown)") }
            return .proved(Proof(scope: scope, assumptions: assumed, dependencies: dependencies, vacuityWitness: witness))
        }
    }

    static func vacuityReason(_ invariant: Invariant) -> String {
        "no allowed mmap satisfies the premise: \(invariant.premiseText)"
    }

    /// Whether the rest part's emptiness found by an earlier check of this process is used
    /// (``PartProver``'s stage 1; tests turn it off to compare).
    var sharesEmptiness = true
    /// Forgets what earlier checks of this process found (``sharesEmptiness``), as if the process
    /// had just started: for benchmarks that time a whole run several times.
    public static func forgetSharedResults() {
        PartProver.forgetKnownEmpty()
        ViolationSearch.forgetCandidates()
    }

    /// Whether the check being decided finds dependencies (then no part shares its emptiness).
    private var findingDependencies = false

    /// Decides a case again under only the clauses and assumptions named, with cores, on the
    /// calling thread, each query within ``irredundancyBudget``.
    private typealias Again = (_ names: Set<String>) throws -> PartProver.Answer

    /// Z3's resource limits for each query ``irredundant(_:satisfiable:)`` asks, in the integer
    /// relaxation and in bit-vectors: a case under fewer clauses can be far harder than the proof
    /// was (`mmap-within-bar` without `natural-alignment` runs for minutes as a verdict, whose
    /// integer stage is `qflia`), and a name whose absence is not decided within them is kept.
    /// Step counts, so that `explain` prints the same list on every machine. Measured on the
    /// shipped specs when the core-tracking integer solver was `qflia`: the names it showed
    /// unneeded took up to 30,000 steps (at 15,000 ten release checks kept `memory-bar-only`);
    /// the bit-vector stages showed none unneeded that 3,000 steps do not, and each undecided name
    /// cost them about 25 ms at 30,000. With today's pipeline (``PartProver``'s
    /// `integerCoreSolver()`) the trial of `natural-alignment` for `mmap-within-bar` takes about
    /// 13,000.
    static let irredundancyBudget: (integers: UInt32, bitVectors: UInt32) = (30_000, 3_000)

    /// What the cases over all parts say, taken in order: the first satisfiable one, else the
    /// first unknown one, else that none holds (with the union of the cases' cores when they were
    /// tracked, else no names).
    private enum Outcome {
        case satisfiable(Assignment)
        case unknown(String)
        case unsatisfiable(cores: [String])
    }

    /// Decides the cases (``eachCase(_:_:_:_:cores:stopAtFirst:)``); with `cores`, each on its
    /// prover's core-tracking solvers, so that a proof's dependencies come from the same queries
    /// as its verdict, in one pass; with `minimiseCore` too, their union is then made irredundant
    /// (``irredundant(_:satisfiable:)``).
    ///
    /// With `stopAtFirst` the queries after the first satisfiable one are stopped or skipped;
    /// without, all run (and the first satisfiable one in order is still the answer).
    private func firstSatisfiable(_ cases: CaseSource,
                                  _ invariant: Invariant, _ policy: Policy, _ assumptions: [Assumption],
                                  cores: Bool, minimiseCore: Bool, stopAtFirst: Bool) throws -> Outcome {
        let decided = try eachCase(cases, invariant, policy, assumptions, cores: cores, stopAtFirst: stopAtFirst)
        let answers = decided.map(\.answer)
        for answer in answers { if case let .satisfiable(found) = answer { return .satisfiable(found) } }
        for answer in answers { if case let .unknown(reason) = answer { return .unknown(reason) } }
        var found: [(core: Set<String>, again: Again)] = []
        for (answer, again) in decided { if case let .unsatisfiable(core) = answer { found.append((Set(core), again)) } }
        if cores, minimiseCore {
            // A machine of the concrete searches under some of the clauses and assumptions is a
            // model of some case under them (it satisfies every formula, checked with `Concrete`).
            let concretely: (Set<String>) -> Bool = { [platform, neighbours] names in
                guard let kept = try? policy.removing(policy.clauses.map(\.id).filter { !names.contains($0) }) else { return false }
                let assumed = assumptions.filter { names.contains($0.rawValue) }
                switch cases {
                case .violation:
                    return ViolationSearch.first(invariant, policy: kept, assumptions: assumed, platform: platform,
                                                 neighbours: neighbours) != nil
                case .premise:
                    return WitnessSearch.first(invariant, policy: kept, assumptions: assumed, platform: platform,
                                               neighbours: neighbours) != nil
                }
            }
            return .unsatisfiable(cores: try irredundant(found, satisfiable: concretely))
        }
        return .unsatisfiable(cores: found.reduce(into: Set<String>()) { $0.formUnion($1.core) }.sorted())
    }

    /// The union of the cases' cores made irredundant: each name in turn (in name order) is
    /// dropped when every case whose core names it is still unsatisfiable under the names left
    /// without it (that case's core becomes the one found so). A case whose core does not name it
    /// stays unsatisfiable: its core is among the names left. So every case is unsatisfiable under
    /// the names returned, and dropping any one of them leaves some case satisfiable or not
    /// decided within ``irredundancyBudget`` (such a name is kept: the list is always enough for
    /// the proof, and irredundant as far as the budget decides). A case is decided again through
    /// the same stages as ever (``PartProver/Query/restricted(to:)``), so a name stays only if the
    /// exact case needs it whenever no relaxation settles it. A deadline that passes meanwhile
    /// leaves the names not yet tried in the list, which is still enough for the proof.
    ///
    /// Most names are needed, and a satisfiable query costs the most, so `satisfiable` is asked
    /// first (the concrete searches: a machine under the names left shows the name needed without
    /// a solver); then each case is decided with cores at once, within the budget (deciding it
    /// first without cores and again with them for the core cost the integer relaxation's query
    /// twice: `barproof-bench dependencies`, explain 2.67x -> 2.32x the verdict alone, the same
    /// lists).
    private func irredundant(_ cases: [(core: Set<String>, again: Again)],
                             satisfiable: (Set<String>) -> Bool) throws -> [String] {
        var cores = cases.map(\.core)
        var kept = cores.reduce(into: Set<String>()) { $0.formUnion($1) }
        for name in kept.sorted() {
            let trial = kept.subtracting([name])
            if satisfiable(trial) { continue }
            var replaced: [(index: Int, core: Set<String>)] = []
            var needed = false
            for index in cores.indices where cores[index].contains(name) {
                guard case let .unsatisfiable(core) = try cases[index].again(trial) else {
                    needed = true
                    break
                }
                replaced.append((index, Set(core)))
            }
            if needed { continue }
            kept = trial
            for (index, core) in replaced { cores[index] = core }
        }
        return kept.sorted()
    }

    /// Decides every case of every part, case by case (case 0 over the parts in order, then case 1,
    /// ...): the provers on threads of their own while a processor is idle, else one query after
    /// another in that order. Each prover decides its own queries in that order either way. With
    /// `stopAtFirst`, once a case holds the later queries are stopped or skipped and the earlier
    /// ones run on. Returns the answers in order up to the first case that holds (all of them
    /// without `stopAtFirst`), which are the same whichever way the provers ran: each answer used
    /// comes from a prover that decided exactly the same queries before it. A phase that stops early
    /// may leave a prover with more queries behind it in parallel than in turn, so only the last
    /// phase that reports a model (the violation's) stops early.
    private func eachCase(_ cases: CaseSource, _ invariant: Invariant,
                          _ policy: Policy, _ assumptions: [Assumption], cores: Bool,
                          stopAtFirst: Bool) throws -> [(answer: PartProver.Answer, again: Again)] {
        // Built here, before any thread starts: a prover's context is used by one thread at a time.
        let (provers, parts) = try built()
        for prover in provers { prover.sharesEmptiness = sharesEmptiness && !findingDependencies }
        let perPart = try parts.map { place in
            let prover = provers[place.prover]
            return try prover.queries(prover.parts[place.local], cases, invariant, policy, assumptions)
        }
        let caseCount = perPart.map(\.count).max() ?? 0
        var work: [(prover: Int, query: PartProver.Query)] = []
        for index in 0..<caseCount {
            for (place, queries) in zip(parts, perPart) where index < queries.count {
                work.append((place.prover, queries[index]))
            }
        }
        let signals = work.map { _ in
            let signal = StopSignal()
            stop?.adopt(signal)
            return signal
        }
        func settles(_ answer: PartProver.Answer) -> Bool {
            guard stopAtFirst else { return false }
            if case .satisfiable = answer { return true } else { return false }
        }
        func run(_ order: Int) -> Result<PartProver.Answer, any Error>? {
            let signal = signals[order]
            if signal.isStopped { return nil }
            let prover = provers[work[order].prover]
            // Interrupts reach the prover only while it decides this query, never an earlier one.
            signal.attach(prover.interruptHandle)
            defer { signal.detach() }
            let answer = Result { try prover.decide(work[order].query, cores: cores, stop: signal) }
            if case let .success(value) = answer, settles(value) {
                for later in signals[(order + 1)...] { later.stop() }
            }
            return answer
        }
        var answers = [Result<PartProver.Answer, any Error>?](repeating: nil, count: work.count)
        let reserved = parallel == nil && provers.count > 1 && work.count > 1 && Processors.reserveIdle()
        defer { if reserved { Processors.release() } }
        if provers.count > 1, work.count > 1, parallel ?? reserved {
            let orders = provers.indices.map { index in work.indices.filter { work[$0].prover == index } }
            withoutActuallyEscaping(run) { run in
                // Each prover is used by one thread only, so the non-Sendable provers and answers
                // cross threads safely.
                let decide = Unchecked(run)
                let shared = Mutex(Unchecked(answers))
                DispatchQueue.concurrentPerform(iterations: orders.count) { index in
                    for order in orders[index] {
                        let answer = Unchecked(decide.value(order))
                        shared.withLock { $0.value[order] = answer.value }
                    }
                }
                answers = shared.withLock { $0.value }
            }
        } else {
            for order in work.indices {
                answers[order] = run(order)
                if case let .success(value)? = answers[order], settles(value) { break }
            }
        }
        if stop?.isStopped == true { throw Stopped() }
        // Up to the first case that holds: every query before it ran to its end.
        var result: [(answer: PartProver.Answer, again: Again)] = []
        for (order, answer) in answers.enumerated() {
            guard let answer else { break }
            let value = try answer.get()
            let (prover, query) = (provers[work[order].prover], work[order].query)
            let again: Again = { [stop] names in
                // Not adopted by the check's signal (which would keep every one): each query is
                // bounded by the budget, so a stop takes effect at the next one.
                if stop?.isStopped == true { return .unknown("stopped") }
                let signal = StopSignal()
                let budget = Self.irredundancyBudget
                return try prover.budgeted(integers: budget.integers, bitVectors: budget.bitVectors) {
                    try prover.decide(query.restricted(to: names), cores: true, stop: signal)
                }
            }
            result.append((value, again))
            if settles(value) { break }
        }
        return result
    }

    /// The exact queries of a check, one per case, as self-contained SMT-LIB2 scripts: the model
    /// facts, the platform, the case of the violation, then each clause and assumption. Each is
    /// unsatisfiable iff that case is proved; the check is proved iff all are.
    ///
    /// They are stated over the general model (every field a variable, start addresses relative to
    /// the BAR's page), split by the size class of the mapped BAR only, in a context of their own.
    public func caseQueries(_ invariant: Invariant, policy: Policy, assumptions: [Assumption] = Assumption.defaults,
                            comments: [String] = []) throws -> [String] {
        let context = Context()
        let logic = try Symbolic(context)
        // Made before any term, as ever: the terms' ids (which order sums) and so the text stay as recorded.
        _ = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        let shift = platform.fixedPageShift
        let general = SituationLayout.make(logic, neighbours: neighbours, pageShift: shift,
                                           word: { PairProver.word($0, logic, pageShift: shift) }, truth: { logic.flag($0) })
        let named = PartProver.named(policy, assumptions, general, logic)
        let subpage = general.isSubpage(logic)
        let cases = PartProver.symmetryReduced(invariant.violationCases(general, logic), invariant, neighbours: neighbours)
            .flatMap { c in [c.and(subpage, logic), c.and(logic.not(subpage), logic)] }
        let facts = logic.and(general.wellFormed(logic), platform.constrains(general.platform, logic))
        try logic.throwIfFailed()
        // The cases share the facts and clauses: each formula is printed once.
        let printer = SMTLIB2Printer(context)
        return try cases.enumerated().map { index, violation in
            let header = comments + [
                "barproof: \(invariant.rawValue) under \(policy.label), \(platform.label); case \(index + 1) of \(cases.count)",
                "unsat means this case of the violation is impossible; clauses and assumptions follow the model facts:",
            ] + named.map { "  " + $0.name }
            return try printer.script(formulas: [facts, violation.exact] + named.map(\.formula), comments: header)
        }
    }

    /// A fresh prover like this one with a context per part, when this one decides every part
    /// in one context (or, `always`, when this one tracked cores); nil when it already has one per
    /// part.
    private func perPartProver(always: Bool = false) throws -> PairProver? {
        guard always || builtStorage?.provers.count == 1, oneContext != true else { return nil }
        let canonical = try PairProver(platform: platform, neighbours: neighbours, limits: limits, seed: seed, strategy: strategy)
        canonical.oneContext = false
        canonical.concreteSearch = concreteSearch
        canonical.sharesEmptiness = sharesEmptiness
        canonical.parallel = parallel
        canonical.stop = stop
        return canonical
    }

    /// The counterexample `assignment` gives, re-checked concretely and made plainer
    /// (``PlainerCounterexample``) only through machines that pass the same re-check.
    private func reported(_ assignment: Assignment, _ invariant: Invariant, _ policy: Policy,
                          _ assumptions: [Assumption]) throws -> Counterexample {
        let found = Counterexample(assignment: assignment, neighbours: neighbours, pageShift: platform.fixedPageShift,
                                   allowedBy: policy.clauses.map(\.id), assumptions: assumptions.map(\.rawValue))
        try recheck(found, invariant: invariant, policy: policy, assumptions: assumptions)
        return PlainerCounterexample.plainer(found) { candidate in
            var machine = found
            machine.assignment = candidate
            return (try? recheck(machine, invariant: invariant, policy: policy, assumptions: assumptions)) != nil
        }
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

/// A value handed between threads where the code guarantees one thread uses it at a time.
private struct Unchecked<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
