/// ``Logic`` on plain values: `UInt64` words with wrapping arithmetic, `Bool` truths.
/// This is how barproof evaluates the rules on a real or generated host, and how it re-checks
/// every counterexample the solver produces.
public struct Concrete: Logic, Sendable {
    public init() {}

    public func word(_ value: UInt64) -> UInt64 { value }
    public func truth(_ value: Bool) -> Bool { value }

    public func add(_ a: UInt64, _ b: UInt64) -> UInt64 { a &+ b }
    public func sub(_ a: UInt64, _ b: UInt64) -> UInt64 { a &- b }
    public func bitAnd(_ a: UInt64, _ b: UInt64) -> UInt64 { a & b }
    public func bitOr(_ a: UInt64, _ b: UInt64) -> UInt64 { a | b }
    public func bitNot(_ a: UInt64) -> UInt64 { ~a }
    public func shiftLeft(_ a: UInt64, _ b: UInt64) -> UInt64 { b >= 64 ? 0 : a << b }
    public func shiftRight(_ a: UInt64, _ b: UInt64) -> UInt64 { b >= 64 ? 0 : a >> b }

    public func equal(_ a: UInt64, _ b: UInt64) -> Bool { a == b }
    public func less(_ a: UInt64, _ b: UInt64) -> Bool { a < b }
    public func lessOrEqual(_ a: UInt64, _ b: UInt64) -> Bool { a <= b }

    public func and(_ terms: [Bool]) -> Bool { terms.allSatisfy { $0 } }
    public func or(_ terms: [Bool]) -> Bool { terms.contains(true) }
    public func not(_ a: Bool) -> Bool { !a }
    public func implies(_ a: Bool, _ b: Bool) -> Bool { !a || b }
    public func ite(_ condition: Bool, _ then: UInt64, _ otherwise: UInt64) -> UInt64 { condition ? then : otherwise }

    public func addsWithoutOverflow(_ a: UInt64, _ b: UInt64) -> Bool { !a.addingReportingOverflow(b).overflow }
    public func lowBitsZero(_ a: UInt64, bits: Int) -> Bool {
        bits <= 0 ? true : bits >= 64 ? a == 0 : a & ((1 << UInt64(bits)) - 1) == 0
    }
}
