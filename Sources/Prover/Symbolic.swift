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
            if firstError == nil { firstError = error as? Z3Error ?? Z3Error(code: 0, message: "\(error)", operation: "symbolic") }
            return zero
        }
    }

    private func truth(_ make: () throws -> BoolTerm) -> BoolTerm {
        do { return try make() } catch {
            if firstError == nil { firstError = error as? Z3Error ?? Z3Error(code: 0, message: "\(error)", operation: "symbolic") }
            return falsity
        }
    }

    /// A named 64-bit constant.
    public func variable(_ name: String) -> BitVector { word { try context.bitVectorConstant(name, width: 64) } }
    /// A named Boolean constant.
    public func flag(_ name: String) -> BoolTerm { truth { try context.boolConstant(name) } }

    public func word(_ value: UInt64) -> BitVector {
        if let cached = constants[value] { return cached }
        let made = word { try context.bitVector(value, width: 64) }
        constants[value] = made
        return made
    }

    public func truth(_ value: Bool) -> BoolTerm { truth { try context.bool(value) } }

    public func add(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a + b } }
    public func sub(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a - b } }
    public func bitAnd(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a & b } }
    public func bitOr(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a | b } }
    public func bitNot(_ a: BitVector) -> BitVector { word { try ~a } }
    public func shiftLeft(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a << b } }
    public func shiftRight(_ a: BitVector, _ b: BitVector) -> BitVector { word { try a >> b } }

    public func equal(_ a: BitVector, _ b: BitVector) -> BoolTerm { truth { try a == b } }
    public func less(_ a: BitVector, _ b: BitVector) -> BoolTerm { truth { try a < b } }
    public func lessOrEqual(_ a: BitVector, _ b: BitVector) -> BoolTerm { truth { try a <= b } }

    public func and(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.and(terms) } }
    public func or(_ terms: [BoolTerm]) -> BoolTerm { truth { try context.or(terms) } }
    public func not(_ a: BoolTerm) -> BoolTerm { truth { try !a } }
    public func implies(_ a: BoolTerm, _ b: BoolTerm) -> BoolTerm { truth { try a.implies(b) } }
    public func ite(_ condition: BoolTerm, _ then: BitVector, _ otherwise: BitVector) -> BitVector {
        word { try condition.ite(then, otherwise) }
    }

    public func addsWithoutOverflow(_ a: BitVector, _ b: BitVector) -> BoolTerm { truth { try a.addsWithoutOverflow(b) } }

    public func lowBitsZero(_ a: BitVector, bits: Int) -> BoolTerm {
        if bits <= 0 { return truth(true) }
        if bits >= 64 { return equal(a, word(0)) }
        return truth { try a.extract(high: bits - 1, low: 0) == context.bitVector(0, width: bits) }
    }
}
