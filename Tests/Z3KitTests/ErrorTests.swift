import Testing
import Z3Kit

/// Misuse becomes a thrown `Z3Error`; no Z3 error may reach Z3's default handler, which prints
/// and calls `exit`. (If one did, this test process would end and every later test would vanish.)
@Suite("Misuse throws Z3Error instead of ending the process", .timeLimit(.minutes(1)))
struct ErrorTests {
    @Test("64-bit plus 32-bit throws a Z3Error carrying Z3's own message")
    func sortMismatch() throws {
        let context = Context()
        let wide = try context.bitVectorConstant("wide", width: 64)
        let narrow = try context.bitVectorConstant("narrow", width: 32)
        let error = try #require(throws: Z3Error.self) { try wide + narrow }
        #expect(error.message.contains("does not match declaration"), "message: \(error.message)")
        #expect(error.message.contains("narrow"), "Z3 names the offending argument: \(error.message)")
        #expect(error.operation == "mk_bvadd")
        #expect(error.code != 0)
        #expect(error.description.contains(error.message))
    }

    @Test("the context stays usable after an error, with the error cleared")
    func contextUsableAfterError() throws {
        let context = Context()
        let wide = try context.bitVectorConstant("wide", width: 64)
        let narrow = try context.bitVectorConstant("narrow", width: 32)
        #expect(throws: Z3Error.self) { try wide + narrow }
        #expect(throws: Z3Error.self) { try wide == narrow.zeroExtend(by: 16) }
        // The next calls succeed: no stale error is reported.
        let sum = try wide + narrow.zeroExtend(by: 32)
        #expect(sum.width == 64)
        let solver = try Solver(context)
        try solver.assert(sum == context.bv64(10))
        try solver.assert(wide == context.bv64(3))
        let model = try #require(try solver.check().model)
        #expect(try model.value(narrow) == 7)
    }

    @Test("mixing widths in if-then-else and comparisons throws")
    func otherSortMismatches() throws {
        let context = Context()
        let condition = try context.boolConstant("c")
        let a = try context.bitVector(1, width: 8)
        let b = try context.bitVector(1, width: 16)
        #expect(throws: Z3Error.self) { try condition.ite(a, b) }
        #expect(throws: Z3Error.self) { try a < b }
        #expect(throws: Z3Error.self) { try a & b }
        #expect(throws: Z3Error.self) { try a.multipliesWithoutOverflow(b) }
        #expect(try a.concat(b).width == 24)
    }

    // Regression: Z3 4.8.12's Z3_mk_bvadd_no_overflow crashed (NULL dereference) on two widths.
    @Test("add-no-overflow of two widths throws instead of crashing")
    func addNoOverflowWidthMismatch() throws {
        let context = Context()
        let wide = try context.bitVectorConstant("wide", width: 64)
        let narrow = try context.bitVectorConstant("narrow", width: 32)
        let error = try #require(throws: Z3Error.self) { try wide.addsWithoutOverflow(narrow) }
        #expect(error.message.contains("32-bit") && error.message.contains("64-bit"), "message: \(error.message)")
        #expect(try wide.addsWithoutOverflow(narrow.zeroExtend(by: 32)).smtlib.contains("narrow"))
    }

    @Test("extract out of range throws")
    func extractOutOfRange() throws {
        let context = Context()
        let x = try context.bitVectorConstant("x", width: 32)
        #expect(throws: Z3Error.self) { try x.extract(high: 32, low: 0) }
        #expect(throws: Z3Error.self) { try x.extract(high: 3, low: 4) }
        #expect(throws: Z3Error.self) { try x.extract(high: 3, low: -1) }
        #expect(try x.extract(high: 31, low: 0).width == 32)
        #expect(try x.extract(high: 11, low: 4).width == 8)
    }

    @Test("a literal too wide for its width throws; widths outside 1...65535 throw")
    func literalTooWideAndBadWidths() throws {
        let context = Context()
        #expect(throws: Z3Error.self) { try context.bitVector(256, width: 8) }
        #expect(throws: Z3Error.self) { try context.bitVector(1 << 32, width: 32) }
        #expect(try context.bitVector(255, width: 8).width == 8)
        #expect(try context.bitVector(.max, width: 64).width == 64)
        #expect(throws: Z3Error.self) { try context.bitVector(0, width: 0) }
        #expect(throws: Z3Error.self) { try context.bitVectorConstant("x", width: 65_536) }
        #expect(throws: Z3Error.self) { try context.bitVectorSort(width: -1) }
        #expect(throws: Z3Error.self) { try context.bitVectorConstant("x", width: 8).zeroExtend(by: -1) }
    }

    @Test("names an SMT-LIB2 script cannot declare are refused", arguments: [
        "", "a|b", "back\\slash", ".hidden", "@internal", "true", "assert", "let", "_", "bvadd", "concat", "bvuaddo",
    ])
    func unwritableNames(_ name: String) throws {
        let context = Context()
        let error = try #require(throws: Z3Error.self) { try context.bitVectorConstant(name, width: 8) }
        #expect(error.message.contains("constant name"))
        #expect(throws: Z3Error.self) { try context.boolConstant(name) }
    }

    @Test("names that only need quoting are accepted")
    func quotableNames() throws {
        let context = Context()
        for name in ["0size", "0000:01:00.0 BAR0 start", "é", "x!1", "Bool", "bv5", "true story", "z3kit"] {
            #expect(try context.bitVectorConstant(name, width: 8).width == 8)
        }
        #expect(throws: Z3Error.self) { try context.freshBool("a|b") }
        #expect(try context.freshBool("assert").smtlib.hasPrefix("assert!"))
    }

    @Test("popping more scopes than are open, or a negative count, throws")
    func badPop() throws {
        let context = Context()
        let solver = try Solver(context)
        try solver.push()
        #expect(throws: Z3Error.self) { try solver.pop(2) }
        #expect(throws: Z3Error.self) { try solver.pop(-1) }
        #expect(solver.scopeCount == 1)
        try solver.pop()
        #expect(solver.scopeCount == 0)
        #expect(throws: Z3Error.self) { try solver.pop() }
    }

    @Test("a value wider than 64 bits cannot be read as UInt64")
    func wideModelValue() throws {
        let context = Context()
        let x = try context.bitVectorConstant("x", width: 128)
        let solver = try Solver(context)
        try solver.assert(x == context.bitVector(5, width: 64).zeroExtend(by: 64))
        let model = try #require(try solver.check().model)
        #expect(throws: Z3Error.self) { try model.value(x) }
        #expect(try model.value(x.extract(high: 63, low: 0)) == 5)
    }

    // Z3 itself does not notice terms from another context: it would build a corrupt term.
    @Test("terms from two contexts cannot be combined")
    func mixingContexts() throws {
        let first = Context()
        let second = Context()
        let a = try first.bitVectorConstant("a", width: 64)
        let b = try second.bitVectorConstant("b", width: 64)
        let p = try first.boolConstant("p")
        let q = try second.boolConstant("q")
        #expect(throws: Z3Error.self) { try a + b }
        #expect(throws: Z3Error.self) { try a == b }
        #expect(throws: Z3Error.self) { try p && q }
        #expect(throws: Z3Error.self) { try p.implies(q) }
        #expect(throws: Z3Error.self) { try first.and([p, q]) }
        #expect(throws: Z3Error.self) { try p.ite(a, b) }
        let solver = try Solver(first)
        #expect(throws: Z3Error.self) { try solver.assert(q) }
        #expect(throws: Z3Error.self) { try solver.check(assuming: [NamedAssumption("q", q)]) }
        #expect(throws: Z3Error.self) { try solver.smtlib2(extra: [q]) }
        let optimize = try Optimize(first)
        #expect(throws: Z3Error.self) { try optimize.assert(q) }
        #expect(throws: Z3Error.self) { try optimize.minimize(b) }
        try solver.assert(p)
        let model = try #require(try solver.check().model)
        #expect(throws: Z3Error.self) { try model.value(b) }
        #expect(throws: Z3Error.self) { try model.value(q) }
    }
}
