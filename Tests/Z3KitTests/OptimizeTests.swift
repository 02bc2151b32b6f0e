import Testing
import Z3Kit

/// Lexicographic optimisation of BAR placement: the smallest power-of-two size of at least 5000
/// bytes, then the lowest start at or above 0x12345678 aligned to that size.
@Suite("Optimize: lexicographic minimisation and maximisation", .timeLimit(.minutes(1)))
struct OptimizeTests {
    private struct Placement {
        let context = Context()
        let optimize: Optimize
        let start: BitVector
        let size: BitVector

        init() throws {
            optimize = try Optimize(context)
            start = try context.bitVectorConstant("start", width: 64)
            size = try context.bitVectorConstant("size", width: 64)
            try optimize.assert(context.isPowerOfTwo(size))
            try optimize.assert(size >= context.bv64(5000))
            try optimize.assert(start >= context.bv64(0x1234_5678))
            try optimize.assert(context.isAligned(start, to: size))
            try optimize.assert(start.addsWithoutOverflow(size))
        }
    }

    @Test("minimise size, then start: size 0x2000 at 0x12346000")
    func minimiseSizeThenStart() throws {
        let placement = try Placement()
        try placement.optimize.minimize(placement.size)
        try placement.optimize.minimize(placement.start)
        let model = try #require(try placement.optimize.check().model)
        #expect(try model.value(placement.size) == 0x2000)
        #expect(try model.value(placement.start) == 0x1234_6000)
    }

    @Test("the order of objectives matters: maximise size under 1 MiB first, then minimise start")
    func objectiveOrder() throws {
        let placement = try Placement()
        try placement.optimize.assert(placement.size <= placement.context.bv64(1 << 20))
        try placement.optimize.maximize(placement.size)
        try placement.optimize.minimize(placement.start)
        let model = try #require(try placement.optimize.check().model)
        #expect(try model.value(placement.size) == 1 << 20)
        #expect(try model.value(placement.start) == 0x1240_0000)
    }

    @Test("push/pop scope constraints; an infeasible scope is unsat")
    func scopes() throws {
        let placement = try Placement()
        try placement.optimize.minimize(placement.size)
        try placement.optimize.push()
        try placement.optimize.assert(placement.size < placement.context.bv64(4096))
        #expect(Verdict(try placement.optimize.check()) == .unsat(core: []))
        try placement.optimize.pop()
        let model = try #require(try placement.optimize.check().model)
        #expect(try model.value(placement.size) == 0x2000)
    }
}
