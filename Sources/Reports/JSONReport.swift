import Foundation

/// The JSON report of a run, schema `barproof-prove` version 1 (documented field by field in
/// `docs/formats/prove.md`, shipped as `schemas/barproof-prove.schema.json`). Keys are sorted and checks keep spec order, so two runs differ only in
/// the timing fields `seconds` (per check) and `total_seconds`.
public struct JSONReport: Encodable, Sendable {
    public static let schema = "barproof-prove"
    public static let schemaVersion = 1

    public struct Check: Encodable, Sendable {
        public var spec: String
        public var file: String
        public var line: Int
        public var column: Int
        public var check: String
        public var invariant: String
        public var policy: String
        public var platform: String
        public var expected: String
        public var verdict: String
        public var status: String
        public var scope: String?
        public var assumptions: [String]
        public var dependencies: [String]
        public var vacuityWitness: Bool?
        public var reason: String?
        public var counterexample: [String]
        public var drift: [FieldChange]
        public var seconds: Double
        /// How the check met its record: `compared`, `none`, `inconclusive`, `recording`.
        public var record: String?
        /// Why its record fails the check though no field drifted (missing, or required).
        public var recordProblem: String?
        /// The suppression that excuses the check's failure, if one applies.
        public var suppressed: Suppression?
        /// With `--baseline`, for a check that did not pass: `new` or `unchanged`.
        public var baselineState: String?

        enum CodingKeys: String, CodingKey {
            case spec, file, line, column, check, invariant, policy, platform, expected, verdict, status, scope
            case assumptions, dependencies, reason, counterexample, drift, seconds, record, suppressed
            case vacuityWitness = "vacuity_witness"
            case recordProblem = "record_problem"
            case baselineState = "baseline_state"
        }
    }

    public var schema: String
    public var schemaVersion: Int
    public var barproofVersion: String
    public var z3Version: String
    public var checks: [Check]
    public var summary: Summary
    public var status: String
    public var totalSeconds: Double
    /// What the drift gate compared (omitted when the report was built without it).
    public var records: RecordComparison?
    /// The suppressions file the run read, as given or found (omitted when none).
    public var suppressions: String?
    /// The `--baseline` report the run was compared with (omitted without one).
    public var baseline: String?

    enum CodingKeys: String, CodingKey {
        case schema, checks, summary, status, records, suppressions, baseline
        case schemaVersion = "schema_version"
        case barproofVersion = "barproof_version"
        case z3Version = "z3_version"
        case totalSeconds = "total_seconds"
    }

    public init(_ outcomes: [CheckOutcome], barproofVersion: String, z3Version: String, records: RecordComparison? = nil,
                suppressions: String? = nil, baseline: String? = nil) {
        self.records = records
        self.suppressions = suppressions
        self.baseline = baseline
        schema = Self.schema
        schemaVersion = Self.schemaVersion
        self.barproofVersion = barproofVersion
        self.z3Version = z3Version
        checks = outcomes.map { o in
            Check(spec: o.location.spec, file: o.location.file, line: o.location.line, column: o.location.column,
                  check: o.check, invariant: o.invariant.rawValue, policy: o.policy, platform: o.platform,
                  expected: o.expected.rawValue, verdict: o.verdict.rawValue, status: o.status.rawValue, scope: o.scope,
                  assumptions: o.assumptions, dependencies: o.dependencies, vacuityWitness: o.vacuityWitness,
                  reason: o.reason, counterexample: o.counterexample, drift: o.drift, seconds: Self.rounded(o.seconds),
                  record: o.record, recordProblem: o.recordProblem, suppressed: o.suppression,
                  baselineState: o.baselineState?.rawValue)
        }
        summary = Summary(outcomes)
        status = summary.status.rawValue
        totalSeconds = Self.rounded(outcomes.reduce(0) { $0 + $1.seconds })
    }

    public func encoded() throws -> Data { try JSONOutput.encode(self) }

    /// Seconds to the microsecond: checks settled without a solver take well under a millisecond,
    /// and benchmarks compare them (`scripts/solver-bench.py`).
    static func rounded(_ s: Double) -> Double { (s * 1_000_000).rounded() / 1_000_000 }
}
