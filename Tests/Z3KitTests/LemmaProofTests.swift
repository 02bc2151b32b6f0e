import Testing
import Z3Kit

/// The lemma barproof leans on: a BAR whose size is a power of two of at least 64 KiB, placed at
/// a start aligned to its size (and not wrapping past 2^64), starts on a 64 KiB boundary.
@Suite("Proving a BAR alignment lemma", .timeLimit(.minutes(1)))
struct LemmaProofTests {
    /// The hypotheses over `start` and `size`, with a configurable minimum size.
    private func hypotheses(_ context: Context, start: BitVector, size: BitVector, minimumSize: UInt64) throws -> [BoolTerm] {
        [
            try context.isPowerOfTwo(size),
            try context.isAligned(start, to: size),
            try size >= context.bv64(minimumSize),
            try start.addsWithoutOverflow(size),
        ]
    }

    @Test("power-of-two size >= 64 KiB, start aligned to size, no overflow => start is 64 KiB-aligned")
    func sizeAlignedStartIs64KiBAligned() throws {
        let context = Context()
        let start = try context.bitVectorConstant("start", width: 64)
        let size = try context.bitVectorConstant("size", width: 64)
        let solver = try Solver(context)
        for hypothesis in try hypotheses(context, start: start, size: size, minimumSize: 64 * kib) {
            try solver.assert(hypothesis)
        }
        // Not vacuous: the hypotheses alone have a model.
        #expect(Verdict(try solver.check()) == .sat)

        try solver.assert(!context.isAligned(start, to: 64 * kib))
        #expect(Verdict(try solver.check()) == .unsat(core: []), "the negation of the lemma must be unsatisfiable")
    }

    @Test("with only 4 KiB as the minimum size the same claim is false, and Z3 says so")
    func weakerHypothesisDoesNotProveIt() throws {
        let context = Context()
        let start = try context.bitVectorConstant("start", width: 64)
        let size = try context.bitVectorConstant("size", width: 64)
        let solver = try Solver(context)
        for hypothesis in try hypotheses(context, start: start, size: size, minimumSize: 4 * kib) {
            try solver.assert(hypothesis)
        }
        try solver.assert(!context.isAligned(start, to: 64 * kib))
        let model = try #require(try solver.check().model)
        let s = try model.value(start)
        let z = try model.value(size)
        // The witness, re-checked in plain Swift arithmetic.
        #expect(z.nonzeroBitCount == 1 && z >= 4 * kib)
        #expect(s % z == 0)
        #expect(s.addingReportingOverflow(z).overflow == false)
        #expect(s % (64 * kib) != 0)
    }
}
