import Testing
import Z3Kit

// Shared vocabulary for the Z3Kit tests: BAR-shaped formulas over 64-bit addresses.

let kib: UInt64 = 1024

extension Context {
    /// A 64-bit literal.
    func bv64(_ value: UInt64) throws -> BitVector { try bitVector(value, width: 64) }

    /// `x` is a non-zero power of two: `x != 0 && x & (x - 1) == 0`.
    func isPowerOfTwo(_ x: BitVector) throws -> BoolTerm {
        let zero = try bitVector(0, width: x.width)
        let one = try bitVector(1, width: x.width)
        let nonZero = try x != zero
        let singleBit = try (x & (x - one)) == zero
        return try nonZero && singleBit
    }

    /// `address` is a multiple of the power of two `alignment`: `address & (alignment - 1) == 0`.
    func isAligned(_ address: BitVector, to alignment: BitVector) throws -> BoolTerm {
        let mask = try alignment - bitVector(1, width: alignment.width)
        return try (address & mask) == bitVector(0, width: address.width)
    }

    /// `address` is a multiple of the power of two `alignment` (a literal).
    func isAligned(_ address: BitVector, to alignment: UInt64) throws -> BoolTerm {
        try isAligned(address, to: bitVector(alignment, width: address.width))
    }
}

/// A check result reduced to a value that may cross task boundaries (a `Model` may not).
enum Verdict: Sendable, Equatable, CustomStringConvertible {
    case sat
    case unsat(core: [String])
    case unknown(reason: String)

    init(_ result: CheckResult) {
        switch result {
        case .sat: self = .sat
        case .unsat(let core): self = .unsat(core: core)
        case .unknown(let reason): self = .unknown(reason: reason)
        }
    }

    var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }

    var description: String {
        switch self {
        case .sat: "sat"
        case .unsat(let core): "unsat \(core)"
        case .unknown(let reason): "unknown(\(reason))"
        }
    }
}

extension CheckResult {
    /// The model when satisfiable (use with `#require`).
    var model: Model? {
        if case .sat(let model) = self { model } else { nil }
    }
}

/// Tests that hold a thread or a core for seconds: the leak probe (its exit tests hold a thread of
/// the cooperative pool while the child runs) and the timeout and interrupt tests (a blocking check
/// holds another). On a 2-core machine the pool has 2 threads; running these one at a time keeps
/// one thread free for everything else.
/// Its time limit bounds each test in it: the leak probe's, the longest, is 2 minutes (see there).
@Suite(.serialized, .timeLimit(.minutes(2)))
enum LongRunning {}
