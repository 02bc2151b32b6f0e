import VFIORules

/// What a verdict covers.
public enum Scope: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Every topology, through the pair model (one target BAR, its parent window, and the other
    /// resources as symbolic neighbours); see `PairModel.swift` for why that suffices.
    case allTopologies(neighbours: Int)
    /// Machines up to a size.
    case bounded(devices: Int, barsPerDevice: Int)

    public var description: String {
        switch self {
        case .allTopologies: "all topologies (pair model)"
        case let .bounded(devices, bars): "bounded (\(devices) devices, \(bars) BARs each)"
        }
    }
}

/// A proof: the negation of the invariant is unsatisfiable under the policy's clauses and the assumptions.
public struct Proof: Hashable, Sendable {
    public var scope: Scope
    /// Assumption ids the check ran under.
    public var assumptions: [String]
    /// Clause and assumption ids the proof needs: the union of the cases' unsat cores. With core
    /// minimisation each case's core is irredundant (dropping any member makes that case
    /// satisfiable or unknown); without it, a core Z3 found, which may hold more than is needed.
    public var dependencies: [String]
    /// A machine on which the invariant's premise holds with the mmap allowed, showing the proof
    /// is not vacuous; nil when it is.
    public var vacuityWitness: Assignment?
}

/// A concrete machine on which the policy allows an mmap that breaks the invariant, re-checked
/// with the ``Concrete`` rules.
public struct Counterexample: Hashable, Sendable {
    public var assignment: Assignment
    public var neighbours: Int
    public var pageShift: Int?
    /// The policy clauses that all held, granting the mmap.
    public var allowedBy: [String]
    public var assumptions: [String]

    public var situation: Situation<Concrete> { .concrete(assignment, neighbours: neighbours, pageShift: pageShift) }
}

/// The answer of one check.
public enum Verdict: Hashable, Sendable {
    case proved(Proof)
    /// Holds because its premise is unsatisfiable under the policy: nothing it speaks of can happen.
    case vacuous(Proof, reason: String)
    case refuted(Counterexample)
    /// The solver gave up (timeout, interruption). Never a pass.
    case unknown(reason: String)

    /// Which of the four a verdict is, without its evidence: what reports and records compare.
    public enum Kind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
        case proved, vacuous, refuted, unknown

        public var description: String { rawValue }
    }

    public var kind: Kind {
        switch self {
        case .proved: .proved
        case .vacuous: .vacuous
        case .refuted: .refuted
        case .unknown: .unknown
        }
    }

    /// `proved`, `vacuous`, `refuted` or `unknown`.
    public var name: String { kind.rawValue }
}

/// A failure of barproof itself (never a verdict): a counterexample that does not reproduce, a Z3 error.
public struct ProverError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
