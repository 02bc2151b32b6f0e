import Testing
import Z3Kit

/// Leases lend a context again only when nothing else refers to it, and a reused context decides
/// as a fresh one does.
@Suite("Context leases and their pool", .timeLimit(.minutes(1)))
struct ContextPoolTests {
    /// `x < 10 and x > limit` over 8-bit words: satisfiable for limits 0 ... 8, unsatisfiable from 9.
    private func decide(_ context: Context, limit: UInt64) throws -> Bool? {
        let x = try context.bitVectorConstant("x", width: 8)
        let solver = try Solver(context)
        try solver.assert(try x < context.bitVector(10, width: 8))
        try solver.assert(try context.bitVector(limit, width: 8) < x)
        switch try solver.check() {
        case let .sat(model):
            let value = try model.value(x)
            #expect(value < 10 && value > limit, "the model must satisfy the formula: x = \(value)")
            return true
        case .unsat: return false
        case .unknown: return nil
        }
    }

    @Test("a context given back with nothing referring to it is lent again")
    func reusesAnUnreferencedContext() throws {
        let pool = ContextPool(capacity: 2)
        var first: ContextLease? = ContextLease(from: pool)
        let identity = ObjectIdentifier(try #require(first).context)
        first = nil
        #expect(pool.count == 1)
        let second = ContextLease(from: pool)
        #expect(ObjectIdentifier(second.context) == identity)
        #expect(pool.count == 0)
    }

    @Test("a context is not lent while a term of the earlier task is still alive")
    func keepsAReferencedContextBack() throws {
        let pool = ContextPool(capacity: 2)
        var first: ContextLease? = ContextLease(from: pool)
        let leftOver = try #require(first).context.bitVectorConstant("left-over", width: 8)
        first = nil
        let second = ContextLease(from: pool)
        #expect(second.context !== leftOver.context, "the context of a live term was lent again")
        _ = leftOver
    }

    @Test("the pool keeps at most its capacity, and a capacity of 0 keeps nothing")
    func capacity() {
        let pool = ContextPool(capacity: 2)
        var leases: [ContextLease] = (0..<3).map { _ in ContextLease(from: pool) }
        leases.removeAll()
        #expect(pool.count == 2)
        let none = ContextPool(capacity: 0)
        var lease: ContextLease? = ContextLease(from: none)
        lease = nil
        #expect(none.count == 0)
        _ = lease
    }

    @Test("a poisoned context is not lent again")
    func poisonedContextsAreDropped() throws {
        let pool = ContextPool(capacity: 2)
        var lease: ContextLease? = ContextLease(from: pool)
        try #require(lease).context.poison(Z3Error(code: 1, message: "test", operation: "test"))
        lease = nil
        #expect(pool.count == 0)
    }

    @Test("a reused context decides every query as a fresh one does")
    func reusedContextsDecideAlike() throws {
        let pool = ContextPool(capacity: 1)
        for limit in UInt64(0)...12 {
            let lease = ContextLease(from: pool)
            let reused = try decide(lease.context, limit: limit)
            let fresh = try decide(Context(), limit: limit)
            #expect(reused == fresh && reused == (limit < 9), "limit \(limit): reused \(String(describing: reused)), fresh \(String(describing: fresh))")
        }
    }
}
