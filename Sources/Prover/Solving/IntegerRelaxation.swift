import VFIORules
import Z3Kit

/// ``Logic`` over mathematical integers for linear integer arithmetic: a relaxation of the
/// bit-vector model that Z3's arithmetic solver decides without bit-blasting.
///
/// Every word is an integer in `[0, 2^64)`. Where the rules' operation is linear it is exact:
/// wrapping `+` and `-` (one conditional subtraction of 2^64), `~x` as `2^64 - 1 - x`, masks and
/// shifts by literals (`mod`/`div` by a power of two), comparisons, `lowBitsZero` as `mod 2^k = 0`.
/// Every other operation (a mask or shift by a non-literal, `|`) is a fresh integer in
/// `[0, 2^64)`, one per distinct operation and operands. That keeps it a relaxation: any machine
/// satisfying the bit-vector formulas satisfies these, with each fresh integer set to the value of
/// the operation it stands for. So an unsatisfiable query here is unsatisfiable as bit-vectors,
/// with the same core (each clause and assumption implies its relaxed form); a satisfiable one
/// says nothing, and the prover decides the bit-vector query.
///
/// Natural alignment (a power of two, and a start aligned to a symbolic size) is not linear.
/// ``naturallyAligned(start:size:)`` adds what it implies about the grids of ``alignmentShifts``
/// (the page sizes of the query): a resource of at least `2^k` bytes starts on the `2^k` grid and
/// is a whole number of `2^k` blocks; a smaller one lies inside one block; and none wraps past
/// 2^64. Each follows from the exact form (a power-of-two size `s` and a start that is a multiple
/// of `s`: for `s >= 2^k` both are multiples of `2^k`; for `s < 2^k`, `start mod 2^k` is a
/// multiple of `s` below `2^k`, so at most `2^k - s`; and `start <= 2^64 - s`), so the
/// relaxation stays one, and with them it decides that a naturally aligned BAR is on the page
/// grid, which is what leaves the pair model's rest part empty. A smaller one's last byte is
/// also stated to lie in its first byte's block and its size to round up to one block, on the
/// very terms the rules build: `qflia` took 25 s to find that through the remainders
/// (`mmap-within-bar` without `subpage-start-aligned`), and now 0.06 s.
///
/// ``sideConditions`` holds the range of every variable and fresh integer; assert them with any
/// formula built here.
final class IntegerRelaxation: Logic {
    typealias Word = IntegerTerm
    typealias Truth = BoolTerm

    let context: Context
    private(set) var firstError: Z3Error?
    /// `0 <= v < 2^64` for every variable and fresh integer made so far.
    private(set) var sideConditions: [BoolTerm] = []
    private let modulus: IntegerTerm
    private let zero: IntegerTerm
    private let falsity: BoolTerm
    /// The value of each literal made by ``word(_:)``, by term id.
    private var literals: [UInt32: UInt64] = [:]
    private var constants: [UInt64: IntegerTerm] = [:]
    /// The fresh integer standing for each non-linear operation, by operation and operand ids
    /// (the operands kept, so that their ids stay theirs).
    private var opaque: [String: (made: IntegerTerm, operands: [IntegerTerm])] = [:]

    /// The grids (as `log2` of their size) ``naturallyAligned(start:size:)`` states alignment on.
    let alignmentShifts: [Int]

    init(_ context: Context, alignmentShifts: [Int] = []) throws {
        self.context = context
        self.alignmentShifts = alignmentShifts.filter { (1..<64).contains($0) }
        modulus = try context.integer("18446744073709551616")
        zero = try context.integer(0)
        falsity = try context.bool(false)
    }

    func throwIfFailed() throws {
        if let firstError { throw firstError }
    }

    private func make(_ build: () throws -> IntegerTerm) -> IntegerTerm {
        do { return try build() } catch {
            fail(error)
            return zero
        }
    }

    private func truth(_ build: () throws -> BoolTerm) -> BoolTerm {
        do { return try build() } catch {
            fail(error)
            return falsity
        }
    }

    /// Records a failure and poisons the context, as ``Symbolic`` does: no check in it answers.
    func fail(_ error: any Error) {
        let failure = error as? Z3Error ?? Z3Error(code: 0, message: "\(error)", operation: "integers")
        if firstError == nil { firstError = failure }
        context.poison(failure)
    }

    private var variables: [String: IntegerTerm] = [:]

    /// A 64-bit variable: a named integer, with its range as a side condition.
    func variable(_ name: String) -> IntegerTerm {
        if let known = variables[name] { return known }
        let made = make { try context.integerConstant(name) }
        sideConditions.append(inRange(made))
        variables[name] = made
        return made
    }

    /// A Boolean variable (the same constant as the bit-vector side's of that name).
    func flag(_ name: String) -> BoolTerm { truth { try context.boolConstant(name) } }

    private func inRange(_ x: IntegerTerm) -> BoolTerm {
        truth { try context.and([try zero <= x, try x < modulus]) }
    }

    /// The fresh integer standing for `operation` on `operands`.
    private func opaqueWord(_ operation: String, _ operands: [IntegerTerm]) -> IntegerTerm {
        let key = operation + operands.map { ":\($0.id)" }.joined()
        if let known = opaque[key] { return known.made }
        let made = make { try context.freshInteger("relaxed") }
        sideConditions.append(inRange(made))
        opaque[key] = (made, operands)
        return made
    }

    private func power(_ bits: Int) -> IntegerTerm { make { try context.integer(String(1 << UInt64(bits))) } }

    func word(_ value: UInt64) -> IntegerTerm {
        if let known = constants[value] { return known }
        let made = make { try context.integer(value) }
        constants[value] = made
        literals[made.id] = value
        return made
    }

    func truth(_ value: Bool) -> BoolTerm { truth { try context.bool(value) } }

    /// `x mod 2^64` for `x` in `[0, 2^65)`.
    private func wrapped(_ x: IntegerTerm) -> IntegerTerm {
        make { try (try modulus <= x).ite(try x - modulus, x) }
    }

    func add(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm { wrapped(make { try a + b }) }

    func sub(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm {
        make { try (try b <= a).ite(try a - b, try (try a + modulus) - b) }
    }

    func bitAnd(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm {
        for (x, mask) in [(a, b), (b, a)] {
            guard let m = literals[mask.id] else { continue }
            if m == 0 { return word(0) }
            if m == UInt64.max { return x }
            // A low mask 2^k - 1 keeps `x mod 2^k`; a high mask ~(2^k - 1) drops it.
            if m & (m &+ 1) == 0 { return make { try x % power(m.nonzeroBitCount) } }
            if (~m) & (~m &+ 1) == 0 { return make { try x - (try x % power((~m).nonzeroBitCount)) } }
        }
        return opaqueWord("and", [a, b].sorted { $0.id < $1.id })
    }

    func bitOr(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm { opaqueWord("or", [a, b].sorted { $0.id < $1.id }) }

    func bitNot(_ a: IntegerTerm) -> IntegerTerm { make { try word(UInt64.max) - a } }

    func shiftLeft(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm {
        guard let k = literals[b.id] else { return opaqueWord("shl", [a, b]) }
        if k >= 64 { return word(0) }
        return make { try (try a * power(Int(k))) % modulus }
    }

    func shiftRight(_ a: IntegerTerm, _ b: IntegerTerm) -> IntegerTerm {
        guard let k = literals[b.id] else { return opaqueWord("lshr", [a, b]) }
        if k >= 64 { return word(0) }
        return make { try a / power(Int(k)) }
    }

    func equal(_ a: IntegerTerm, _ b: IntegerTerm) -> BoolTerm { truth { try a == b } }
    func less(_ a: IntegerTerm, _ b: IntegerTerm) -> BoolTerm { truth { try a < b } }
    func lessOrEqual(_ a: IntegerTerm, _ b: IntegerTerm) -> BoolTerm { truth { try a <= b } }

    func and(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.and(terms) } }
    func or(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.or(terms) } }
    func not(_ a: BoolTerm) -> BoolTerm { truth { try !a } }
    func implies(_ a: BoolTerm, _ b: BoolTerm) -> BoolTerm { truth { try a.implies(b) } }
    func ite(_ condition: BoolTerm, _ then: IntegerTerm, _ otherwise: IntegerTerm) -> IntegerTerm {
        make { try condition.ite(then, otherwise) }
    }

    func addsWithoutOverflow(_ a: IntegerTerm, _ b: IntegerTerm) -> BoolTerm { truth { try (try a + b) < modulus } }

    /// The exact form (its power-of-two test and mask are fresh integers here) with its linear
    /// consequences on each grid of ``alignmentShifts``; see the type's documentation.
    func naturallyAligned(start: IntegerTerm, size: IntegerTerm) -> BoolTerm {
        var facts = [isPowerOfTwo(size), isAligned(start, to: size), truth { try (try start + size) <= modulus }]
        for shift in alignmentShifts {
            let block = power(shift)
            let large = truth { try block <= size }
            facts.append(implies(large, and([lowBitsZero(size, bits: shift), lowBitsZero(start, bits: shift)])))
            facts.append(implies(not(large), truth { try (try (try start % block) + size) <= block }))
            // The same on the terms the rules build (`pageDown`, `pageUp`, `lastByte`), so that
            // `qflia` need not find it through their remainders: the last byte of a smaller one is
            // in its first byte's block, and its size rounds up to one block.
            let sameBlock = equal(pageDown(lastByte(start: start, size: size), shift: shift), pageDown(start, shift: shift))
            let oneBlock = equal(pageUp(size, shift: shift), word(UInt64(1) << UInt64(shift)))
            facts.append(implies(not(large), and([sameBlock, oneBlock])))
        }
        return and(facts)
    }

    func lowBitsZero(_ a: IntegerTerm, bits: Int) -> BoolTerm {
        if bits <= 0 { return truth(true) }
        if bits >= 64 { return equal(a, word(0)) }
        return truth { try (try a % power(bits)) == zero }
    }
}
