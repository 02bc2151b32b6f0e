import PCIModel
@testable import Prover
import SpecFiles
import Testing
import VFIORules
import Z3Kit

/// `ViolationSearch` refutes checks with concrete machines before any Z3 context is made. A
/// machine it returns must be a counterexample the solver would accept: every formula the solver
/// is given holds on it, evaluated by `Symbolic` and Z3 as well as by `Concrete`. It must find
/// nothing where the solver proves the check (a machine there would mean the two evaluations
/// disagree), and it must find one for every refuted shipped check (else the shortcut is dead
/// weight and `prove` pays for Z3 again). With it turned off, the solver still refutes.
@Suite(.timeLimit(.minutes(3))) struct ViolationSearchTests {
    /// Every shipped check at each of its page sizes alone.
    static let shipped: [(name: String, expect: String, request: CheckRequest)] = {
        guard let specs = try? Spec.loadAll(["Specs", "Specs/kernels"]) else { return [] }
        return specs.flatMap { spec in
            spec.checks.flatMap { check in
                check.platform.pageSizes.map { page in
                    var request = check.request(timeoutMilliseconds: nil, seed: 0)
                    request.platform.pageSizes = [page]
                    return ("\(spec.name)/\(check.name) at \(page.rawValue >> 10) KiB", check.expect.rawValue, request)
                }
            }
        }
    }()

    static func search(_ request: CheckRequest) -> Assignment? {
        ViolationSearch.first(request.invariant, policy: request.policy, assumptions: request.assumptions,
                              platform: request.platform, neighbours: 1)
    }

    /// The formulas the solver is given, over Z3 constants pinned to the machine's values: the
    /// model facts, the platform, every clause and assumption, and the violation.
    static func solverAccepts(_ machine: Assignment, _ request: CheckRequest) throws -> Bool {
        let context = Context()
        let logic = try Symbolic(context)
        let solver = try Solver(context, tactics: ["simplify", "solve-eqs", "bit-blast", "sat"])
        var pins: [BoolTerm] = []
        let shift = request.platform.fixedPageShift
        let s = SituationLayout.make(
            logic, neighbours: 1, pageShift: shift,
            word: { name in
                let term = logic.variable(name)
                pins.append(logic.equal(term, logic.word(machine.word(name))))
                return term
            },
            truth: { name in
                let term = logic.flag(name)
                pins.append(machine.truth(name) ? term : logic.not(term))
                return term
            })
        let formula = logic.and([s.wellFormed(logic), request.platform.constrains(s.platform, logic),
                                 request.invariant.violated(s, logic)]
                                + request.policy.clauses.map { $0.rule.holds(s, logic) }
                                + request.assumptions.map { $0.holds(s, logic) } + pins)
        try logic.throwIfFailed()
        return try solver.withScope {
            try solver.assert(formula)
            if case .sat = try solver.check() { return true }
            return false
        }
    }

    @Test func everyMachineFoundIsOneTheSolverAccepts() throws {
        #expect(Self.shipped.count > 200)
        var found = 0
        for (name, _, request) in Self.shipped {
            guard let machine = Self.search(request) else { continue }
            found += 1
            // Formula by formula with `Concrete`, so that a bug in `holds` cannot hide one.
            let c = Concrete()
            let s = Situation<Concrete>.concrete(machine, neighbours: 1, pageShift: request.platform.fixedPageShift)
            #expect(s.wellFormed(c), "\(name)")
            #expect(request.platform.constrains(s.platform, c), "\(name)")
            #expect(request.invariant.violated(s, c), "\(name)")
            for clause in request.policy.clauses { #expect(clause.rule.holds(s, c), "\(name): \(clause.id)") }
            for assumption in request.assumptions { #expect(assumption.holds(s, c), "\(name): \(assumption.rawValue)") }
            #expect(try Self.solverAccepts(machine, request), "\(name): Z3 rejects the machine")
        }
        #expect(found > 100)
    }

    @Test func findsOneForEveryRefutedShippedCheckAndNoneElsewhere() {
        for (name, expect, request) in Self.shipped {
            let machine = Self.search(request)
            if expect != "refuted" { #expect(machine == nil, "\(name): a machine where the solver proves") }
        }
        // A refuted check is refuted at one of its page sizes at least.
        let refuted = Dictionary(grouping: Self.shipped.filter { $0.expect == "refuted" }) {
            String($0.name.prefix { $0 != " " })
        }
        for (check, rows) in refuted.sorted(by: { $0.key < $1.key }) {
            #expect(rows.contains { Self.search($0.request) != nil }, "\(check): the search finds no machine")
        }
    }

    /// Negative control: the machine found with one fact broken no longer counts.
    @Test func aBrokenMachineIsRejected() throws {
        var request = CheckRequest(policy: try Policy.mainline.removing(["subpage-reservation"]),
                                   platform: PlatformSpec(pageSizes: [.kib4]), invariant: .pageExclusive)
        request.assumptions = Assumption.defaults
        let machine = try #require(Self.search(request))
        func holds(_ a: Assignment) -> Bool {
            ViolationSearch.holds(a, .pageExclusive, request.policy, request.assumptions, request.platform, 1, 12)
        }
        #expect(holds(machine))
        var ownDevice = machine
        ownDevice.truths["other0.same-device"] = true  // the neighbour is the device's own BAR: no violation
        #expect(!holds(ownDevice))
        #expect(!(try Self.solverAccepts(ownDevice, request)))
        var unaligned = machine
        unaligned.words["bar.start", default: 0] += 8  // not naturally aligned, and not fixed
        #expect(!holds(unaligned))
        #expect(!(try Self.solverAccepts(unaligned, request)))
        // With the reservation back, the same machine is not allowed.
        #expect(!ViolationSearch.holds(machine, .pageExclusive, .mainline, request.assumptions, request.platform, 1, 12))
    }

    /// The 32-bit wrap of the legacy MSI-X overlap test, found without the solver: an 8 GiB BAR
    /// whose table sits at offset 0xFFFFF000, the page there mapped.
    @Test(arguments: [PageSize.kib4, .kib64])
    func findsTheThirtyTwoBitWrap(page: PageSize) throws {
        let machine = try #require(ViolationSearch.first(.msixNeedsFiltering, policy: .legacy, assumptions: Assumption.defaults,
                                                         platform: PlatformSpec(pageSizes: [page]), neighbours: 1))
        #expect(machine.word(SituationLayout.barNames.size) > 1 << 32)
        #expect(machine.word(SituationLayout.Name.tableOffset) == 0xFFFF_F000)
    }

    /// With the search off the solver refutes the same checks (its own counterexamples, re-checked).
    @Test(arguments: [(Invariant.msixNeedsFiltering, "legacy"), (.pageExclusive, "mainline")])
    func theSolverAloneStillRefutes(invariant: Invariant, policyName: String) throws {
        let policy = policyName == "mainline" ? try Policy.mainline.removing(["subpage-reservation"]) : Policy.legacy
        let prover = try PairProver(platform: PlatformSpec(pageSizes: [.kib4]))
        prover.concreteSearch = false
        guard case .refuted(let example) = try prover.check(invariant, policy: policy, dependencies: false) else {
            Issue.record("\(policy.label) \(invariant.rawValue): not refuted by the solver")
            return
        }
        #expect(try Self.solverAccepts(example.assignment, CheckRequest(policy: policy, platform: PlatformSpec(pageSizes: [.kib4]),
                                                                         invariant: invariant)))
    }
}
