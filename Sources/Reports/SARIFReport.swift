import Foundation
import VFIORules

/// SARIF 2.1.0 for GitHub code scanning: one rule per invariant (short and full description,
/// help, `security-severity`), one result per finding (for `prove`, a check that did not pass,
/// located at the check in its spec file; for `audit`, a violated invariant, located at the BAR's
/// resource line), with a fingerprint that survives line moves.
public struct SARIFReport: Encodable {
    /// One result, whatever produced it.
    public struct Finding: Sendable {
        public var invariant: Invariant
        /// `error` or `warning`.
        public var level: String
        /// SARIF `result.kind`: `fail`, or `open` when the tool could not decide (an unknown verdict).
        public var kind: String
        public var message: String
        public var file: String
        public var line: Int
        public var column: Int
        /// `partialFingerprints`: a stable identity of the finding, such as `barproofCheck/v1` to a hash.
        public var fingerprints: [String: String]
        public var properties: [String: String]

        public init(invariant: Invariant, level: String = "error", kind: String = "fail", message: String, file: String,
                    line: Int, column: Int = 1, fingerprints: [String: String], properties: [String: String]) {
            self.invariant = invariant
            self.level = level
            self.kind = kind
            self.message = message
            self.file = file
            self.line = line
            self.column = column
            self.fingerprints = fingerprints
            self.properties = properties
        }
    }

    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    struct Message: Encodable { var text: String }
    struct MultiformatMessage: Encodable { var text: String; var markdown: String? }
    struct Configuration: Encodable { var level: String }
    struct RuleProperties: Encodable {
        var tags: [String]
        var securitySeverity: String
        enum CodingKeys: String, CodingKey {
            case tags
            case securitySeverity = "security-severity"
        }
    }
    struct Rule: Encodable {
        var id: String
        var name: String
        var shortDescription: Message
        var fullDescription: Message
        var help: MultiformatMessage
        var defaultConfiguration: Configuration
        var properties: RuleProperties
    }
    struct Driver: Encodable {
        var name = "barproof"
        var version: String
        var semanticVersion: String
        var informationUri = "https://github.com/barproof/barproof"
        var rules: [Rule]
    }
    struct Tool: Encodable { var driver: Driver }
    struct ArtifactLocation: Encodable { var uri: String }
    struct Region: Encodable { var startLine: Int; var startColumn: Int }
    struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation; var region: Region }
    struct Location: Encodable { var physicalLocation: PhysicalLocation }
    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var kind: String
        var message: Message
        var locations: [Location]
        var partialFingerprints: [String: String]
        var properties: [String: String]
    }
    struct Invocation: Encodable {
        var executionSuccessful: Bool
        var exitCode: Int
    }
    /// A value of a SARIF property bag.
    public enum Property: Encodable, Sendable, Equatable {
        case string(String), int(Int), bool(Bool), strings([String])

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let v): try c.encode(v)
            case .int(let v): try c.encode(v)
            case .bool(let v): try c.encode(v)
            case .strings(let v): try c.encode(v)
            }
        }
    }
    struct Run: Encodable {
        var tool: Tool
        var invocations: [Invocation]
        var results: [Result]
        /// The run's property bag (omitted when empty): what the run checked beyond its results.
        var properties: [String: Property]?
        /// Which run this is among a tool's uploads (`barproof-audit/<host>/`), so that code
        /// scanning keeps one host's results apart from another's.
        var automationDetails: AutomationDetails?
    }

    struct AutomationDetails: Encodable { var id: String }

    /// Names every run (SARIF `automationDetails.id`), e.g. `barproof-audit/host-a/`.
    public mutating func identify(as id: String) {
        for i in runs.indices { runs[i].automationDetails = AutomationDetails(id: id) }
    }

    /// One log holding the runs of `reports`, in order: one run per audited host.
    public init(combining reports: [SARIFReport]) {
        runs = reports.flatMap(\.runs)
    }

    var schema = Self.schemaURI
    var version = "2.1.0"
    var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case version, runs
    }

    public init(_ outcomes: [CheckOutcome], barproofVersion: String, exitCode: Int, records: RecordComparison? = nil) {
        let findings = outcomes.filter { $0.status != .pass }.map { o in
            let text: String
            if let problem = o.recordProblem {
                text = "\(o.name): \(problem)."
            } else if o.status == .unknown {
                text = "\(o.name): inconclusive (\(o.reason ?? "the solver gave up")); expected \(o.expected.rawValue)."
            } else if o.verdict != o.expected.rawValue {
                text = "\(o.name): expected \(o.expected.rawValue), got \(o.verdict) under \(o.policy) on \(o.platform)."
                    + (o.counterexample.isEmpty ? "" : " Counterexample: " + o.counterexample.joined(separator: "; ") + ".")
            } else {
                text = "\(o.name): drifted from its recorded proof: "
                    + o.drift.map { "\($0.field) was '\($0.recorded)', now '\($0.fresh)'" }.joined(separator: "; ") + "."
            }
            let fingerprint = SHA256.hex(Array("\(o.location.spec)\u{0}\(o.check)\u{0}\(o.invariant.rawValue)".utf8))
            return Finding(invariant: o.invariant, level: o.status == .unknown ? "warning" : "error",
                           kind: o.status == .unknown ? "open" : "fail", message: text,
                           file: o.location.file, line: o.location.line, column: o.location.column,
                           fingerprints: ["barproofCheck/v1": fingerprint],
                           properties: ["spec": o.location.spec, "check": o.check, "expected": o.expected.rawValue,
                                        "verdict": o.verdict, "policy": o.policy, "platform": o.platform])
        }
        var properties: [String: Property] = [:]
        if let records {
            properties = ["recordsDirectory": .string(records.directory), "recordsFound": .bool(records.found),
                          "recordsRecording": .bool(records.recording), "recordsRequired": .bool(records.required),
                          "recordsChecks": .int(records.checks), "recordsCompared": .int(records.compared),
                          "recordsWithoutRecord": .int(records.withoutRecord), "recordsInconclusive": .int(records.inconclusive),
                          "records": .string(records.line)]
        }
        self.init(findings: findings, barproofVersion: barproofVersion,
                  executionSuccessful: exitCode == 0 || exitCode == 1 || exitCode == 2, exitCode: exitCode, properties: properties)
    }

    public init(findings: [Finding], barproofVersion: String, executionSuccessful: Bool, exitCode: Int,
                properties: [String: Property] = [:]) {
        let invariants = Invariant.allCases
        let rules = invariants.map { invariant in
            Rule(id: invariant.rawValue, name: Self.ruleName(invariant),
                 shortDescription: Message(text: Self.short(invariant)),
                 fullDescription: Message(text: "Invariant \(invariant.rawValue): \(invariant.statement)."),
                 help: MultiformatMessage(text: Self.help(invariant), markdown: Self.help(invariant)),
                 defaultConfiguration: Configuration(level: "error"),
                 properties: RuleProperties(tags: ["security", "vfio", "pci"], securitySeverity: Self.severity(invariant)))
        }
        let results = findings.map { f in
            Result(ruleId: f.invariant.rawValue, ruleIndex: invariants.firstIndex(of: f.invariant) ?? 0,
                   level: f.level, kind: f.kind, message: Message(text: f.message),
                   locations: [Location(physicalLocation: PhysicalLocation(
                       artifactLocation: ArtifactLocation(uri: f.file),
                       region: Region(startLine: f.line, startColumn: f.column)))],
                   partialFingerprints: f.fingerprints, properties: f.properties)
        }
        runs = [Run(tool: Tool(driver: Driver(version: barproofVersion, semanticVersion: barproofVersion, rules: rules)),
                    invocations: [Invocation(executionSuccessful: executionSuccessful, exitCode: exitCode)],
                    results: results, properties: properties.isEmpty ? nil : properties)]
    }

    public func encoded() throws -> Data { try JSONOutput.encode(self) }

    static func ruleName(_ invariant: Invariant) -> String {
        invariant.rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func short(_ invariant: Invariant) -> String {
        switch invariant {
        case .pageExclusive: "An mmap of a BAR must not expose another device's registers"
        case .msixNeedsFiltering: "An mmap must not reach an MSI-X table whose MSIs are not filtered"
        case .mmapWithinBAR: "An mmap must stay within its BAR's page-rounded extent"
        }
    }

    static func help(_ invariant: Invariant) -> String {
        let what: String
        switch invariant {
        case .pageExclusive:
            what = "A guest or user process given a BAR through vfio-pci could read or write registers of a device it does not own."
        case .msixNeedsFiltering:
            what = "A process that can write an MSI-X table without MSI filtering can make the device send arbitrary interrupts (DMA writes to the MSI window)."
        case .mmapWithinBAR:
            what = "An mmap longer than the BAR's page-rounded extent reaches memory beyond the device."
        }
        return "\(what) Run `barproof explain SPEC CHECK` for the counterexample or the clauses the proof depends on; "
            + "`barproof list` names the kernel source of every clause."
    }

    static func severity(_ invariant: Invariant) -> String {
        switch invariant {
        case .pageExclusive: "8.8"
        case .msixNeedsFiltering: "7.8"
        case .mmapWithinBAR: "7.1"
        }
    }
}
