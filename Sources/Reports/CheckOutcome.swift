import Prover
import VFIORules

/// What a spec expects a check to conclude.
public enum Expectation: String, CaseIterable, Sendable, Codable {
    case proved, refuted, vacuous

    /// Whether a verdict of `kind` is what was expected.
    public func isMet(by kind: Verdict.Kind) -> Bool { kind.rawValue == rawValue }
}

/// How a check ended against its expectation and its recorded proof.
public enum Status: String, Sendable, Codable, Comparable {
    /// The verdict is the expected one and matches the record, if any.
    case pass
    /// The solver gave up; never a pass.
    case unknown
    /// The verdict missed its expectation, or drifted from its record.
    case fail

    private var rank: Int {
        switch self {
        case .pass: 0
        case .unknown: 1
        case .fail: 2
        }
    }

    public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
}

/// One field of a recorded proof that a fresh run disagrees with.
public struct FieldChange: Hashable, Sendable, Codable {
    public var field: String
    public var recorded: String
    public var fresh: String

    public init(field: String, recorded: String, fresh: String) {
        self.field = field
        self.recorded = recorded
        self.fresh = fresh
    }
}

/// Where a check is written in its spec file.
public struct SpecLocation: Hashable, Sendable, Codable {
    /// The spec's name: its file name without `.yaml`.
    public var spec: String
    /// The spec file's path as given on the command line.
    public var file: String
    public var line: Int
    public var column: Int

    public init(spec: String, file: String, line: Int, column: Int) {
        self.spec = spec
        self.file = file
        self.line = line
        self.column = column
    }
}

/// The result of one check of a spec, ready for any report format. A value: reports never run
/// the prover, and the prover never prints.
public struct CheckOutcome: Sendable {
    public var location: SpecLocation
    public var check: String
    public var invariant: Invariant
    /// The policy label, e.g. `mainline - subpage-reservation`.
    public var policy: String
    public var platform: String
    public var expected: Expectation
    /// `proved`, `vacuous`, `refuted` or `unknown`.
    public var verdict: Verdict.Kind
    public var scope: String?
    public var assumptions: [String]
    public var dependencies: [String]
    /// Whether a proof carries a machine showing its premise can happen; nil unless proved or vacuous.
    public var vacuityWitness: Bool?
    /// Why a verdict is vacuous or unknown.
    public var reason: String?
    /// The counterexample in plain words, when refuted.
    public var counterexample: [String]
    /// Fields where the fresh verdict disagrees with the recorded proof; empty when no record.
    public var drift: [FieldChange]
    /// Record fields that changed without failing the check (the dependency list, an old format).
    public var notes: [FieldChange] = []
    /// How the check met its recorded proof: `compared`, `none` (no record, not compared),
    /// `inconclusive` (not compared: the verdict is unknown), `recording` (`--record`); nil when
    /// records were not looked at.
    public var record: String?
    /// Why the check's record fails it though no field drifted: a record missing while other checks
    /// of its spec have one, or none at all under `--require-records`.
    public var recordProblem: String?
    /// Wall time of the check. Never compared, never part of a record.
    public var seconds: Double
    /// The suppression that excuses the check's failure (or unknown verdict), when one applies:
    /// it is still reported, but does not fail the run.
    public var suppression: Suppression?
    /// With `--baseline`, whether a check that did not pass did not pass in the baseline either
    /// (``BaselineState/unchanged``: reported, but it does not fail the run) or is new; nil without
    /// a baseline or for a check that passed.
    public var baselineState: BaselineState?

    public init(location: SpecLocation, check: String, invariant: Invariant, policy: String, platform: String,
                expected: Expectation, verdict: Verdict, seconds: Double) {
        self.location = location
        self.check = check
        self.invariant = invariant
        self.policy = policy
        self.platform = platform
        self.expected = expected
        self.verdict = verdict.kind
        self.seconds = seconds
        self.drift = []
        self.counterexample = []
        self.assumptions = []
        self.dependencies = []
        switch verdict {
        case .proved(let proof):
            apply(proof)
        case .vacuous(let proof, let reason):
            apply(proof)
            self.reason = reason
        case .refuted(let example):
            scope = Scope.allTopologies(neighbours: example.neighbours).description
            assumptions = example.assumptions.sorted()
            counterexample = example.explanation(for: invariant)
        case .unknown(let reason):
            self.reason = reason
        }
    }

    private mutating func apply(_ proof: Proof) {
        scope = proof.scope.description
        assumptions = proof.assumptions.sorted()
        dependencies = proof.dependencies.sorted()
        vacuityWitness = proof.vacuityWitness != nil
    }

    /// `spec/check`, how reports name the check.
    public var name: String { "\(location.spec)/\(check)" }

    public var status: Status {
        if recordProblem != nil { return .fail }
        if verdict == .unknown { return .unknown }
        if !expected.isMet(by: verdict) || !drift.isEmpty { return .fail }
        return .pass
    }

    /// Whether the check's status counts toward the run's: it did not pass, and neither a
    /// suppression nor the baseline excuses it.
    public var counts: Bool { status != .pass && !excused }

    /// A suppression excuses the check's failure or unknown verdict (it names a justification);
    /// the baseline excuses a failure only: an unknown verdict is never accepted for having been
    /// unknown before, since what could not be decided is not a pass.
    public var excused: Bool {
        status != .pass && suppression != nil || status == .fail && baselineState == .unchanged
    }
}

/// A suppressions-file entry that excused a failing check or an audit finding: why, until when,
/// and where it is written.
public struct Suppression: Hashable, Sendable, Codable {
    public var justification: String
    /// `YYYY-MM-DD`, the last day the entry applies; nil when it does not expire.
    public var expires: String?
    /// The suppressions file, as given (or found in the source root).
    public var file: String
    public var line: Int
    public var column: Int

    public init(justification: String, expires: String?, file: String, line: Int, column: Int) {
        self.justification = justification
        self.expires = expires
        self.file = file
        self.line = line
        self.column = column
    }

    enum CodingKeys: String, CodingKey {
        case justification, expires, file, line, column
    }

    /// `FILE:LINE: JUSTIFICATION (expires DATE)`, as the text reports show it.
    public var text: String {
        "\(file):\(line): \(justification)" + (expires.map { " (expires \($0))" } ?? "")
    }
}

/// How a result stands against `--baseline` (SARIF `result.baselineState`).
public enum BaselineState: String, Hashable, Sendable, Codable {
    /// Not in the baseline: it fails the run.
    case new
    /// In the baseline too: reported, but it does not fail the run.
    case unchanged
}

/// Counts over a run.
public struct Summary: Hashable, Sendable, Encodable {
    public var total: Int
    public var passed: Int
    public var failed: Int
    public var unknown: Int
    public var drifted: Int
    /// Checks failed for a record they lack (missing beside others, or `--require-records`).
    public var missingRecords: Int
    /// Checks that did not pass, excused by a suppression (counted in `failed` or `unknown` too).
    public var suppressed: Int
    /// Checks that did not pass and did not pass in the baseline either, not suppressed (counted
    /// in `failed` or `unknown` too).
    public var baselineUnchanged: Int
    /// The worst status of the checks that count (not excused): what the exit code reports.
    public var status: Status

    enum CodingKeys: String, CodingKey {
        case total, passed, failed, unknown, drifted, suppressed
        case missingRecords = "missing_records"
        case baselineUnchanged = "baseline_unchanged"
    }

    public init(_ outcomes: [CheckOutcome]) {
        total = outcomes.count
        passed = outcomes.count { $0.status == .pass }
        failed = outcomes.count { $0.status == .fail }
        unknown = outcomes.count { $0.status == .unknown }
        drifted = outcomes.count { !$0.drift.isEmpty }
        missingRecords = outcomes.count { $0.recordProblem != nil }
        suppressed = outcomes.count { $0.excused && $0.suppression != nil }
        baselineUnchanged = outcomes.count { $0.excused && $0.suppression == nil }
        status = outcomes.filter(\.counts).map(\.status).max() ?? .pass
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(total, forKey: .total)
        try c.encode(passed, forKey: .passed)
        try c.encode(failed, forKey: .failed)
        try c.encode(unknown, forKey: .unknown)
        try c.encode(drifted, forKey: .drifted)
        try c.encode(missingRecords, forKey: .missingRecords)
        try c.encode(suppressed, forKey: .suppressed)
        try c.encode(baselineUnchanged, forKey: .baselineUnchanged)
    }
}
