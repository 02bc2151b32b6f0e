import Testing
import Z3Kit

/// Refuting a false claim: "two distinct 4 KiB-aligned BAR starts never share a 64 KiB page".
/// The counterexample is read from the model and re-checked in plain Swift `UInt64` arithmetic.
@Suite("Refuting a false claim with a concrete counterexample", .timeLimit(.minutes(1)))
struct CounterexampleTests {
    @Test("two distinct 4 KiB-aligned BAR starts can share one 64 KiB page")
    func distinct4KiBBARsCanShareA64KiBPage() throws {
        let context = Context()
        let a = try context.bitVectorConstant("a", width: 64)
        let b = try context.bitVectorConstant("b", width: 64)
        let page = try context.bv64(4 * kib)
        let sixteen = try context.bv64(16)
        let samePage = try (a >> sixteen) == (b >> sixteen)
        let claim = try (a != b).implies(!samePage)

        let solver = try Solver(context)
        try solver.assert(context.isAligned(a, to: 4 * kib))
        try solver.assert(context.isAligned(b, to: 4 * kib))
        try solver.assert(a.addsWithoutOverflow(page))
        try solver.assert(b.addsWithoutOverflow(page))
        try solver.assert(!claim)

        let model = try #require(try solver.check().model, "the claim is false, so its negation must be satisfiable")
        let startA = try model.value(a)
        let startB = try model.value(b)
        #expect(try model.value(claim) == false)

        // Plain Swift arithmetic, independent of Z3.
        #expect(startA != startB)
        #expect(startA % (4 * kib) == 0 && startB % (4 * kib) == 0)
        #expect(startA / (64 * kib) == startB / (64 * kib), "a=\(hex(startA)) b=\(hex(startB)) are on different 64 KiB pages")
        #expect(startA.addingReportingOverflow(4 * kib).overflow == false)
        #expect(startB.addingReportingOverflow(4 * kib).overflow == false)
    }

    @Test("pinning one start, the model gives the other in the same page")
    func pinnedStart() throws {
        let context = Context()
        let a = try context.bitVectorConstant("a", width: 64)
        let b = try context.bitVectorConstant("b", width: 64)
        let solver = try Solver(context)
        let fixedA: UInt64 = 0xFEDC_BA98_7654_3000
        try solver.assert(a == context.bv64(fixedA))
        try solver.assert(context.isAligned(b, to: 4 * kib))
        try solver.assert(a != b)
        try solver.assert(context.isAligned(b, to: 4 * kib))
        try solver.assert((a >> context.bv64(16)) == (b >> context.bv64(16)))
        let model = try #require(try solver.check().model)
        #expect(try model.value(a) == fixedA)
        let startB = try model.value(b)
        #expect(startB != fixedA && startB & 0xFFF == 0 && startB >> 16 == fixedA >> 16, "b = \(hex(startB))")
    }
}

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
