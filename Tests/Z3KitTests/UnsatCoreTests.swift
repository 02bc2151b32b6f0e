import Testing
import Z3Kit

/// The lemma of `LemmaProofTests`, checked under five named assumptions of which two have
/// nothing to do with it. The unsat core must name the three that carry the proof and omit the
/// two irrelevant ones.
@Suite("Unsat cores under named assumptions", .timeLimit(.minutes(1)))
struct UnsatCoreTests {
    private struct Setup {
        let context = Context()
        let solver: Solver
        let assumptions: [NamedAssumption]

        init() throws {
            let start = try context.bitVectorConstant("start", width: 64)
            let size = try context.bitVectorConstant("size", width: 64)
            // Unrelated to start and size: another device's BAR and a command-register bit.
            let otherStart = try context.bitVectorConstant("other start", width: 64)
            let memoryDecodeEnabled = try context.boolConstant("memory decode enabled")
            solver = try Solver(context)
            try solver.assert(!context.isAligned(start, to: 64 * kib))
            assumptions = [
                NamedAssumption("irrelevant: other BAR above 4 GiB", try otherStart >= context.bv64(1 << 32)),
                NamedAssumption("size is a power of two", try context.isPowerOfTwo(size)),
                NamedAssumption("start aligned to size", try context.isAligned(start, to: size)),
                NamedAssumption("irrelevant: memory decode enabled", memoryDecodeEnabled),
                NamedAssumption("size >= 64 KiB", try size >= context.bv64(64 * kib)),
            ]
        }
    }

    private let needed = ["size >= 64 KiB", "size is a power of two", "start aligned to size"]

    @Test("the core names the three needed assumptions and omits the two irrelevant ones")
    func coreOmitsIrrelevantAssumptions() throws {
        let setup = try Setup()
        let result = Verdict(try setup.solver.check(assuming: setup.assumptions))
        #expect(result == .unsat(core: needed.sorted()))
        // The check under assumptions leaves no scope or assertion behind.
        #expect(setup.solver.scopeCount == 0)
        #expect(try setup.solver.assertions().count == 1)
    }

    @Test("each assumption in the core is needed: dropping it makes the query satisfiable",
          arguments: ["size >= 64 KiB", "size is a power of two", "start aligned to size"])
    func everyCoreMemberIsNeeded(_ dropped: String) throws {
        let setup = try Setup()
        let rest = setup.assumptions.filter { $0.name != dropped }
        #expect(rest.count == 4)
        #expect(Verdict(try setup.solver.check(assuming: rest)) == .sat)
    }

    @Test("a satisfiable check under assumptions gives a model that honours them")
    func satisfiableUnderAssumptions() throws {
        let context = Context()
        let size = try context.bitVectorConstant("size", width: 64)
        let solver = try Solver(context)
        let result = try solver.check(assuming: [
            NamedAssumption("pow2", try context.isPowerOfTwo(size)),
            NamedAssumption("big", try size >= context.bv64(1 << 40)),
        ])
        let model = try #require(result.model)
        let value = try model.value(size)
        #expect(value.nonzeroBitCount == 1 && value >= 1 << 40)
    }

    @Test("repeated checks under assumptions on one solver give the same core")
    func repeatedChecksAreIndependent() throws {
        let setup = try Setup()
        for _ in 0..<3 {
            #expect(Verdict(try setup.solver.check(assuming: setup.assumptions)) == .unsat(core: needed.sorted()))
        }
        // Without the assumptions, the base assertion alone is satisfiable again.
        #expect(Verdict(try setup.solver.check()) == .sat)
    }
}
