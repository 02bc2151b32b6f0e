/// The operations the vfio-pci rules need, over 64-bit words and truths.
///
/// Every rule, assumption and invariant in barproof is written once, generic over `L: Logic`.
/// With ``Concrete`` (`UInt64`/`Bool`) it evaluates a real host; with the prover's `Symbolic`
/// it becomes Z3 terms. Arithmetic wraps modulo 2^64 exactly as the kernel's `u64` does;
/// comparisons are unsigned.
public protocol Logic {
    associatedtype Word
    associatedtype Truth

    func word(_ value: UInt64) -> Word
    func truth(_ value: Bool) -> Truth

    func add(_ a: Word, _ b: Word) -> Word
    func sub(_ a: Word, _ b: Word) -> Word
    func bitAnd(_ a: Word, _ b: Word) -> Word
    func bitOr(_ a: Word, _ b: Word) -> Word
    func bitNot(_ a: Word) -> Word
    /// `a << b`; zero when `b >= 64`.
    func shiftLeft(_ a: Word, _ b: Word) -> Word
    /// Logical `a >> b`; zero when `b >= 64`.
    func shiftRight(_ a: Word, _ b: Word) -> Word

    func equal(_ a: Word, _ b: Word) -> Truth
    /// Unsigned `a < b`.
    func less(_ a: Word, _ b: Word) -> Truth
    /// Unsigned `a <= b`.
    func lessOrEqual(_ a: Word, _ b: Word) -> Truth

    func and(_ terms: [Truth]) -> Truth
    func or(_ terms: [Truth]) -> Truth
    func not(_ a: Truth) -> Truth
    func implies(_ a: Truth, _ b: Truth) -> Truth
    func ite(_ condition: Truth, _ then: Word, _ otherwise: Word) -> Word

    /// True when `a + b` does not overflow 64 bits.
    func addsWithoutOverflow(_ a: Word, _ b: Word) -> Truth
    /// True when the low `bits` bits of `a` are zero. Equal to `a & (2^bits - 1) == 0`;
    /// the symbolic side encodes it as a bit extract, which solves faster.
    func lowBitsZero(_ a: Word, bits: Int) -> Truth
    /// `NATALIGN`: `size` is a power of two and `start` is aligned to it (standard BAR sizing).
    /// Defined below from the operations above; a relaxation that cannot state it exactly may
    /// add what it implies.
    func naturallyAligned(start: Word, size: Word) -> Truth
}

extension Logic {
    public var yes: Truth { truth(true) }
    public var no: Truth { truth(false) }

    public func and(_ terms: Truth...) -> Truth { and(terms) }
    public func or(_ terms: Truth...) -> Truth { or(terms) }
    public func notEqual(_ a: Word, _ b: Word) -> Truth { not(equal(a, b)) }
    public func greaterOrEqual(_ a: Word, _ b: Word) -> Truth { lessOrEqual(b, a) }
    public func greater(_ a: Word, _ b: Word) -> Truth { less(b, a) }
    public func iff(_ a: Truth, _ b: Truth) -> Truth { and(implies(a, b), implies(b, a)) }
    public func minimum(_ a: Word, _ b: Word) -> Word { ite(lessOrEqual(a, b), a, b) }

    /// `x` is a non-zero power of two: `x - 1` is a run of low one bits. Stated as
    /// `((x - 1) >> 1) & ~(x - 1) == 0`, a bitwise test that solves faster than `x & (x - 1) == 0`.
    public func isPowerOfTwo(_ x: Word) -> Truth {
        let mask = sub(x, word(1))
        return and(notEqual(x, word(0)), equal(bitAnd(shiftRight(mask, word(1)), bitNot(mask)), word(0)))
    }

    /// `x` converted to a C unsigned type of `bits` bits (`(u32)x`, `(u16)x`): its low `bits` bits,
    /// the rest zero. Words are 64 bits wide, so a narrower kernel value is a word below `2^bits`
    /// and zero extension back to 64 bits (C's conversion of a narrower unsigned value to `u64`)
    /// is the word itself. A mask, so every ``Logic`` evaluates it with its own `bitAnd`.
    public func truncated(_ x: Word, bits: Int) -> Word {
        bits >= 64 ? x : bitAnd(x, word((1 << UInt64(bits)) - 1))
    }

    public func naturallyAligned(start: Word, size: Word) -> Truth {
        and(isPowerOfTwo(size), isAligned(start, to: size))
    }

    /// `x mod alignment == 0` for a power-of-two `alignment`.
    public func isAligned(_ x: Word, to alignment: Word) -> Truth {
        equal(bitAnd(x, sub(alignment, word(1))), word(0))
    }
}

/// An inclusive range of addresses `[first, last]`, never empty. Inclusive ends keep the
/// last byte of the address space (2^64 - 1) representable.
public struct Span<L: Logic> {
    public let first: L.Word
    public let last: L.Word

    public init(first: L.Word, last: L.Word) {
        self.first = first
        self.last = last
    }
}

extension Logic {
    /// Two non-empty inclusive ranges share a byte.
    public func overlaps(_ a: Span<Self>, _ b: Span<Self>) -> Truth {
        and(lessOrEqual(a.first, b.last), lessOrEqual(b.first, a.last))
    }

    /// `inner` lies inside `outer`.
    public func contains(_ outer: Span<Self>, _ inner: Span<Self>) -> Truth {
        and(lessOrEqual(outer.first, inner.first), lessOrEqual(inner.last, outer.last))
    }
}
