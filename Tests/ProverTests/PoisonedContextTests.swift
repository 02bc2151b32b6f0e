@testable import Prover
import PCIModel
import Testing
import VFIORules
import Z3Kit

/// A Z3 failure while building terms leaves a placeholder in the formula (``Symbolic`` returns
/// `false` or `0` so the rules stay non-throwing). It must never be solved into a verdict: the
/// builder poisons its context, and every check there throws. Each path that solves is tried
/// with a failure injected into the terms it solves.
@Suite("A failed Z3 call never becomes a verdict", .timeLimit(.minutes(2)))
struct PoisonedContextTests {
    static let injected = Z3Error(code: 12, message: "injected failure", operation: "test")

    @Test("a poisoned solver throws instead of answering", arguments: [false, true])
    func solverRefuses(assuming: Bool) throws {
        let context = Context()
        let logic = try Symbolic(context)
        let x = logic.variable("x")
        let solver = try Solver(context)
        try solver.assert(logic.equal(x, logic.word(7)))
        logic.fail(Self.injected)
        #expect(throws: Z3Error.self) {
            _ = assuming ? try solver.check(assuming: [NamedAssumption("a", logic.yes)]) : try solver.check()
        }
    }

    @Test("a failure in any part of the pair model makes the check throw, never prove",
          arguments: [(Invariant.pageExclusive, 0), (.pageExclusive, 1), (.pageExclusive, 2), (.msixNeedsFiltering, 1),
                      (.mmapWithinBAR, 2)])
    func pairModelRefuses(invariant: Invariant, part: Int) throws {
        for dependencies in [false, true] {
            let prover = try PairProver(platform: PlatformSpec(pageSizes: [.kib64]))
            prover.parallel = false
            // The solver's paths are under test: a concrete refutation would answer before them.
            prover.concreteSearch = false
            // A context per part, so that the failure is in that part's alone.
            prover.oneContext = false
            try prover.provers[part].logic.fail(Self.injected)
            #expect(throws: (any Error).self, "part \(part), dependencies \(dependencies)") {
                _ = try prover.check(invariant, policy: .mainline, dependencies: dependencies)
            }
        }
    }

    @Test("a failure in the one context of a verdict-only prover makes the check throw, never prove",
          arguments: Invariant.allCases)
    func oneContextRefuses(invariant: Invariant) throws {
        let prover = try PairProver(platform: PlatformSpec(pageSizes: [.kib64]))
        prover.concreteSearch = false
        prover.oneContext = true
        try prover.provers[0].logic.fail(Self.injected)
        #expect(throws: (any Error).self) { _ = try prover.check(invariant, policy: .mainline, dependencies: false) }
    }

    @Test("a failure in the integer relaxation makes the check throw")
    func integerRelaxationRefuses() throws {
        let prover = try PairProver(platform: PlatformSpec(pageSizes: [.kib64]))
        prover.parallel = false
        prover.concreteSearch = false
        for part in try prover.provers { part.integers.fail(Self.injected) }
        #expect(throws: (any Error).self) { _ = try prover.check(.pageExclusive, policy: .mainline, dependencies: false) }
    }

    @Test("a failure in a search session makes the search throw, never report none")
    func searchSessionRefuses() throws {
        var bounds = SearchBounds()
        bounds.devices = 2
        bounds.barsPerDevice = 1
        bounds.bridges = 0
        let search = TopologySearch(policy: try Policy.mainline.removing(["subpage-reservation"]),
                                    platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive, bounds: bounds)
        let session = try MachineSession(search: search, pageShift: 16)
        session.logic.fail(Self.injected)
        var notes: [String] = []
        #expect(throws: (any Error).self) { _ = try session.next(blocked: [], minimize: false, notes: &notes) }
    }
}
