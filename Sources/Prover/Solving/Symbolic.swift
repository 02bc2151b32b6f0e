import VFIORules
import Z3Kit

/// ``Logic`` over Z3 terms: 64-bit bit-vectors and Booleans in one context.
///
/// The rules call non-throwing operations; a Z3 failure (which would be a barproof bug, since
/// every word has the same width) is kept as ``firstError`` and a placeholder term returned.
/// Builders must call ``throwIfFailed()`` before using what they built.
public final class Symbolic: Logic {
    public let context: Context
    public private(set) var firstError: Z3Error?
    private let zero: BitVector
    private let falsity: BoolTerm
    private var constants: [UInt64: BitVector] = [:]
    /// The value of each literal made by ``word(_:)``, by term id.
    private var literalValues: [UInt32: UInt64] = [:]
    /// Each sum, difference, complement and page rounding built here, as a linear form over the
    /// terms it was built from, by term id. The term is kept so that its id stays its own.
    private var linearForms: [UInt32: (term: BitVector, form: LinearForm)] = [:]
    /// Compare sums that share summands through their carries (see ``lessOrEqual(_:_:)``); on
    /// by default, off only to measure what it buys.
    public var relativeComparisons = true
    /// Each word choice built here, by term id (the term kept so its id stays its own).
    private var iteTerms: [UInt32: (term: BitVector, condition: BoolTerm, then: BitVector, otherwise: BitVector)] = [:]
    /// Words made by ``pagedVariable(_:pageShift:)``: their page base and in-page offset.
    private var pageSplits: [UInt32: (shift: Int, base: BitVector, offset: BitVector)] = [:]
    /// The page bases, by term id: the summands compared first (see ``lessOrEqual(_:_:)``).
    private var bases: Set<UInt32> = []
    /// Atoms whose low bits are zero, by term id: how many (the term kept so its id stays its own).
    private var alignedAtoms: [UInt32: (term: BitVector, bits: Int)] = [:]
    /// Atoms below a power of two, by term id: its exponent (the term kept as above).
    private var narrowAtoms: [UInt32: (term: BitVector, bits: Int)] = [:]

    public init(_ context: Context) throws {
        self.context = context
        zero = try context.bitVector(0, width: 64)
        falsity = try context.bool(false)
    }

    /// Throws the first error met while building terms.
    public func throwIfFailed() throws {
        if let firstError { throw firstError }
    }

    private func word(_ make: () throws -> BitVector) -> BitVector {
        do { return try make() } catch {
            fail(error)
            return zero
        }
    }

    private func truth(_ make: () throws -> BoolTerm) -> BoolTerm {
        do { return try make() } catch {
            fail(error)
            return falsity
        }
    }

    /// Records a failure and poisons the context: a placeholder term now stands somewhere in
    /// what was built, so no check in this context may answer (``Context/poison(_:)``), whether or
    /// not its caller remembers ``throwIfFailed()``.
    func fail(_ error: any Error) {
        let failure = error as? Z3Error ?? Z3Error(code: 0, message: "\(error)", operation: "symbolic")
        if firstError == nil { firstError = failure }
        context.poison(failure)
    }

    /// A named 64-bit constant.
    public func variable(_ name: String) -> BitVector { word { try context.bitVectorConstant(name, width: 64) } }
    /// A named Boolean constant.
    public func flag(_ name: String) -> BoolTerm { truth { try context.boolConstant(name) } }

    public func word(_ value: UInt64) -> BitVector {
        if let cached = constants[value] { return cached }
        let made = word { try context.bitVector(value, width: 64) }
        constants[value] = made
        literalValues[made.id] = value
        return made
    }

    public func truth(_ value: Bool) -> BoolTerm { truth { try context.bool(value) } }

    public func add(_ a: BitVector, _ b: BitVector) -> BitVector {
        record(word { try a + b }, form(a).plus(form(b)))
    }

    public func sub(_ a: BitVector, _ b: BitVector) -> BitVector {
        record(word { try a - b }, form(a).plus(form(b).scaled(UInt64.max)))
    }

    public func bitAnd(_ a: BitVector, _ b: BitVector) -> BitVector {
        // `x & ~(2^k - 1)` (page rounding) is `x - (x mod 2^k)`, the low bits an atom of their own;
        // for a paged variable it is its page base.
        for (x, mask) in [(a, b), (b, a)] {
            guard let m = literalValues[mask.id], m != 0, m != UInt64.max, (~m) & (~m &+ 1) == 0 else { continue }
            let bits = (~m).nonzeroBitCount
            if let split = pageSplits[x.id], split.shift == bits { return split.base }
            return record(word { try a & b }, form(x).plus(lowBits(of: form(x), bits).scaled(UInt64.max)))
        }
        return word { try a & b }
    }

    public func bitOr(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a | b } }

    public func bitNot(_ a: BitVector) -> BitVector {
        // ~x = -1 - x.
        record(word { try ~a }, LinearForm(constant: UInt64.max).plus(form(a).scaled(UInt64.max)))
    }

    public func shiftLeft(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a << b } }
    public func shiftRight(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a >> b } }

    public func equal(_ a: BitVector, _ b: BitVector) -> BoolTerm { truth { try a == b } }

    /// `a < b`; see ``lessOrEqual(_:_:)``.
    public func less(_ a: BitVector, _ b: BitVector) -> BoolTerm {
        guard relativeComparisons else { return truth { try a < b } }
        return compare(form(a), form(b), strict: true) ?? truth { try a < b }
    }

    /// `a <= b`. When `a = c + x` and `b = c + y` (mod 2^64) share summands `c`, the comparison is
    /// made on `x` and `y` and the carries of `c + x` and `c + y`: with equal carries it is `x <= y`;
    /// otherwise it holds iff `c + x` carries (it wrapped below `c`, while `c + y` did not). This is
    /// exact for all values (the differential test compares it with `Concrete`), and it spares the
    /// SAT solver what it does worst: proving `c + x <= c + y` through two 64-bit adders.
    /// Page bases are split off first, so that every address compares against the same carry
    /// reference; then the other common summands; then a common constant.
    public func lessOrEqual(_ a: BitVector, _ b: BitVector) -> BoolTerm {
        guard relativeComparisons else { return truth { try a <= b } }
        return compare(form(a), form(b), strict: false) ?? truth { try a <= b }
    }

    /// `a + b` does not carry: `a <= a + b` (mod 2^64), compared as above when `a` has summands.
    public func addsWithoutOverflow(_ a: BitVector, _ b: BitVector) -> BoolTerm {
        let fa = form(a)
        if relativeComparisons, !fa.atoms.isEmpty, let result = compare(fa, fa.plus(form(b)), strict: false) {
            return result
        }
        return truth { try a.addsWithoutOverflow(b) }
    }

    /// `x mod 2^bits` for `x` given by `form`: summands whose low `bits` bits are zero drop out (mod
    /// 2^64 too, as 2^bits divides 2^64); a constant is reduced; an atom known to be below 2^bits is
    /// itself; anything else is the zero-extended low bits of the rest, an atom of its own.
    private func lowBits(of form: LinearForm, _ bits: Int) -> LinearForm {
        let mask = (UInt64(1) << UInt64(bits)) - 1
        var rest = LinearForm(constant: form.constant & mask)
        for (id, atom) in form.atoms where (alignedAtoms[id]?.bits ?? 0) < bits && atom.coefficient & mask != 0 {
            rest.atoms[id] = atom
        }
        if rest.atoms.isEmpty { return rest }
        if rest.constant == 0, rest.atoms.count == 1, let (id, atom) = rest.atoms.first, atom.coefficient == 1,
           let below = narrowAtoms[id]?.bits, below <= bits {
            return rest
        }
        let term = build(rest)
        return self.form(word { try term.extract(high: bits - 1, low: 0).zeroExtend(by: 64 - bits) })
    }

    /// A 64-bit variable that is a multiple of `2^pageShift`: `name` (`64 - pageShift` bits) over
    /// `pageShift` zero bits. With `isBase`, it is a page base that comparisons split off first.
    /// Used for a part of the model where the word is page-aligned (a change of variables there).
    public func alignedVariable(_ name: String, pageShift: Int, isBase: Bool) -> BitVector {
        guard pageShift > 0, pageShift < 64 else { return variable(name) }
        let zeros = word { try context.bitVector(0, width: pageShift) }
        let aligned = word { try context.bitVectorConstant(name, width: 64 - pageShift).concat(zeros) }
        pageSplits[aligned.id] = (pageShift, aligned, word(0))
        alignedAtoms[aligned.id] = (aligned, pageShift)
        if isBase { bases.insert(aligned.id) }
        return aligned
    }

    /// A 64-bit variable below `2^pageShift`: `name` (`pageShift` bits) zero-extended. Used for a
    /// part of the model where the word is known to be that small (a change of variables there).
    public func narrowVariable(_ name: String, pageShift: Int) -> BitVector {
        guard pageShift > 0, pageShift < 64 else { return variable(name) }
        let narrow = word { try context.bitVectorConstant(name, width: pageShift).zeroExtend(by: 64 - pageShift) }
        narrowAtoms[narrow.id] = (narrow, pageShift)
        return narrow
    }

    /// A 64-bit variable below `2^bits` whose low `zeroBits` bits are zero: `name` (`bits - zeroBits`
    /// bits) over `zeroBits` zero bits, zero-extended. Used for a field the model facts bound that
    /// way (a change of variables on that ground).
    public func boundedVariable(_ name: String, bits: Int, zeroBits: Int) -> BitVector {
        guard bits > zeroBits, bits < 64, zeroBits >= 0 else { return variable(name) }
        let made = word {
            var value = try context.bitVectorConstant(name, width: bits - zeroBits)
            if zeroBits > 0 { value = try value.concat(context.bitVector(0, width: zeroBits)) }
            return try value.zeroExtend(by: 64 - bits)
        }
        narrowAtoms[made.id] = (made, bits)
        if zeroBits > 0 { alignedAtoms[made.id] = (made, zeroBits) }
        return made
    }

    /// A 64-bit variable made of a page number and an in-page offset, `name.page` (`64 - pageShift`
    /// bits) and `name.in-page` (`pageShift` bits): `base + offset` with `base` the page base.
    ///
    /// A change of variables, not a constraint: every 64-bit value is exactly one such pair. Page
    /// rounding of the word is its base, and the base is the first summand comparisons split off.
    public func pagedVariable(_ name: String, pageShift: Int) -> BitVector {
        guard pageShift > 0, pageShift < 64 else { return variable(name) }
        let base = alignedVariable(name + ".page", pageShift: pageShift, isBase: true)
        let offset = narrowVariable(name + ".in-page", pageShift: pageShift)
        let sum = add(base, offset)
        pageSplits[sum.id] = (pageShift, base, offset)
        return sum
    }

    public func and(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.and(terms) } }
    public func or(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.or(terms) } }
    public func not(_ a: BoolTerm) -> BoolTerm { truth { try !a } }
    public func implies(_ a: BoolTerm, _ b: BoolTerm) -> BoolTerm { truth { try a.implies(b) } }
    public func ite(_ condition: BoolTerm, _ then: BitVector, _ otherwise: BitVector) -> BitVector {
        let made = word { try condition.ite(then, otherwise) }
        if iteTerms[made.id] == nil { iteTerms[made.id] = (made, condition, then, otherwise) }
        return made
    }


    public func lowBitsZero(_ a: BitVector, bits: Int) -> BoolTerm {
        if bits <= 0 { return truth(true) }
        if bits >= 64 { return equal(a, word(0)) }
        return truth { try a.extract(high: bits - 1, low: 0) == context.bitVector(0, width: bits) }
    }
}

// MARK: - Linear forms

/// A word as `sum of coefficient * atom + constant` modulo 2^64, the atoms being terms that are not
/// sums (variables, low-bit extracts, products of the rules' other operations).
struct LinearForm {
    var atoms: [UInt32: (term: BitVector, coefficient: UInt64)] = [:]
    var constant: UInt64 = 0

    func plus(_ other: LinearForm) -> LinearForm {
        var result = self
        result.constant &+= other.constant
        for (id, atom) in other.atoms {
            let coefficient = (result.atoms[id]?.coefficient ?? 0) &+ atom.coefficient
            result.atoms[id] = coefficient == 0 ? nil : (atom.term, coefficient)
        }
        return result
    }

    func scaled(_ factor: UInt64) -> LinearForm {
        var result = LinearForm(constant: constant &* factor)
        for (id, atom) in atoms where atom.coefficient &* factor != 0 {
            result.atoms[id] = (atom.term, atom.coefficient &* factor)
        }
        return result
    }
}

extension Symbolic {
    /// The linear form of `term`: recorded when it was built here, a literal, or an atom.
    fileprivate func form(_ term: BitVector) -> LinearForm {
        if let recorded = linearForms[term.id] { return recorded.form }
        if let value = literalValues[term.id] { return LinearForm(constant: value) }
        return LinearForm(atoms: [term.id: (term, 1)])
    }

    /// `fa <= fb` (or `<` when `strict`) with the summands common to both split off as in
    /// ``lessOrEqual(_:_:)``; nil when they share none.
    fileprivate func compare(_ fa: LinearForm, _ fb: LinearForm, strict: Bool) -> BoolTerm? {
        // A choice among summands is compared branch by branch: `r + ite(p, t, e) <= y` is
        // `ite(p, r + t <= y, r + e <= y)`, so each branch meets the sums it is compared with.
        for (left, form) in [(true, fa), (false, fb)] {
            guard let (id, _) = form.atoms.first(where: { iteTerms[$0.key] != nil && $0.value.coefficient == 1 }),
                  let choice = iteTerms[id] else { continue }
            var rest = form
            rest.atoms[id] = nil
            let branches = [choice.then, choice.otherwise].map { branch -> BoolTerm in
                let side = rest.plus(self.form(branch))
                let (x, y) = left ? (side, fb) : (fa, side)
                return compare(x, y, strict: strict) ?? {
                    let bx = build(x), by = build(y)
                    return truth { try strict ? bx < by : bx <= by }
                }()
            }
            return truth { try choice.condition.ite(branches[0], branches[1]) }
        }
        var common = LinearForm()
        for (id, atom) in fa.atoms where bases.contains(id) && fb.atoms[id]?.coefficient == atom.coefficient {
            common.atoms[id] = atom
        }
        if common.atoms.isEmpty {
            for (id, atom) in fa.atoms where fb.atoms[id]?.coefficient == atom.coefficient { common.atoms[id] = atom }
        }
        if common.atoms.isEmpty && fa.constant == fb.constant && fa.constant != 0 {
            common.constant = fa.constant
        }
        guard !common.atoms.isEmpty || common.constant != 0 else { return lastComparison(fa, fb, strict: strict) }
        let minusCommon = common.scaled(UInt64.max)
        let fx = fa.plus(minusCommon), fy = fb.plus(minusCommon)
        let carryX = carry(common, fx), carryY = carry(common, fy)
        let rest = compare(fx, fy, strict: strict) ?? {
            let x = build(fx), y = build(fy)
            return truth { try strict ? x < y : x <= y }
        }()
        return truth { try (carryX == carryY).ite(rest, carryX) }
    }

    /// Whether `c + x` carries out of 64 bits: `x > ~c`. For an inclusive end `x = X - 1` it is
    /// tested on `X`: `c != 0 and (X == 0 or X > -c)` (when `X` is 0, `x` is the largest word),
    /// which compares the sum the rules compare rather than its predecessor. Both exact.
    private func carry(_ common: LinearForm, _ fx: LinearForm) -> BoolTerm {
        let c = build(common)
        if fx.constant == UInt64.max, !fx.atoms.isEmpty {
            let end = build(fx.plus(LinearForm(constant: 1))), minusC = build(common.scaled(UInt64.max)), zero = word(0)
            return truth { try !(c == zero) && ((end == zero) || (end > minusC)) }
        }
        let x = build(fx), notC = word { try ~c }
        return truth { try x > notC }
    }

    /// A comparison with an inclusive end `Y - 1` (mod 2^64), made on `Y`: `x <= Y - 1` is `Y == 0 or
    /// x < Y`, and `Y - 1 < x` is `Y != 0 and Y <= x` (when `Y` is 0, `Y - 1` is the largest word).
    /// Exact, and it compares the sums the rules also compare (a request's `offset + length`
    /// with a BAR's rounded size) instead of their predecessors. Nil for any other shape.
    private func lastComparison(_ fa: LinearForm, _ fb: LinearForm, strict: Bool) -> BoolTerm? {
        let one = LinearForm(constant: 1)
        if !strict, fa.constant == 0, fb.constant == UInt64.max, !fb.atoms.isEmpty {
            let x = build(fa), y = build(fb.plus(one)), zero = word(0)
            return truth { try (y == zero) || (x < y) }
        }
        if strict, fa.constant == UInt64.max, fb.constant == 0, !fa.atoms.isEmpty {
            let y = build(fa.plus(one)), x = build(fb), zero = word(0)
            return truth { try !(y == zero) && (y <= x) }
        }
        return nil
    }

    /// Remembers `form` as the linear form of `term` (the first one recorded stays: any is exact).
    fileprivate func record(_ term: BitVector, _ form: LinearForm) -> BitVector {
        if linearForms[term.id] == nil { linearForms[term.id] = (term, form) }
        return term
    }

    /// A term for `form`, atoms in id order (deterministic within a context).
    private func build(_ form: LinearForm) -> BitVector {
        var sum: BitVector?
        for id in form.atoms.keys.sorted() {
            guard let atom = form.atoms[id] else { continue }
            let term: BitVector
            if atom.coefficient == 1 || atom.coefficient == UInt64.max {
                term = atom.term
            } else {
                let factor = word(atom.coefficient)
                term = word { try atom.term * factor }
            }
            if let current = sum {
                sum = atom.coefficient == UInt64.max ? word { try current - term } : word { try current + term }
            } else {
                let zeroWord = word(0)
                sum = atom.coefficient == UInt64.max ? word { try zeroWord - term } : term
            }
        }
        guard let sum else { return word(form.constant) }
        if form.constant == 0 { return sum }
        let constant = word(form.constant)
        return word { try sum + constant }
    }
}
