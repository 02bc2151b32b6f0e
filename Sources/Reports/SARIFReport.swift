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
        /// The suppressions-file entry that excuses it (SARIF `suppressions`, kind `external`).
        public var suppression: Suppression?
        /// With `--baseline`: `new` or `unchanged` (SARIF `baselineState`).
        public var baselineState: BaselineState?

        public init(invariant: Invariant, level: String = "error", kind: String = "fail", message: String, file: String,
                    line: Int, column: Int = 1, fingerprints: [String: String], properties: [String: String],
                    suppression: Suppression? = nil, baselineState: BaselineState? = nil) {
            self.invariant = invariant
            self.level = level
            self.kind = kind
            self.message = message
            self.file = file
            self.line = line
            self.column = column
            self.fingerprints = fingerprints
            self.properties = properties
            self.suppression = suppression
            self.baselineState = baselineState
        }
    }

    /// What a command's rules tell a reader of its results to do next.
    public enum Command: Sendable {
        case prove, audit

        /// The run's `automationDetails.id` (the code scanning category): distinct per command,
        /// and for `audit` per host, so that one upload never closes another's alerts.
        public func automationID(host: String? = nil) -> String {
            switch self {
            case .prove: "barproof/prove/"
            case .audit: "barproof/audit/\(host ?? "host")/"
            }
        }
    }

    /// A problem that stopped the run before it had results (bad input): SARIF
    /// `toolExecutionNotification`, at the file, line and column when known.
    public struct Notice: Sendable, Hashable {
        public var file: String?
        public var line: Int?
        public var column: Int?
        public var message: String
        /// `error` (the run failed) or `warning`.
        public var level: String

        public init(file: String?, line: Int?, column: Int?, message: String, level: String = "error") {
            self.file = file
            self.line = line
            self.column = column
            self.message = message
            self.level = level
        }
    }

    /// The limits GitHub code scanning documents for a SARIF upload, which it rejects whole when
    /// one is passed ("SARIF results exceed one or more limits",
    /// https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit):
    /// 20 runs per file; 25,000 results per run (of which only the top 5,000 by severity are
    /// shown); 25,000 rules per run; 100 tool extensions per run; 10,000 thread flow locations and
    /// 1,000 locations per result; 20 tags per rule (10 shown). And a file of at most 10 MB once
    /// gzip-compressed ("SARIF file is too large",
    /// https://docs.github.com/pt/enterprise-server@3.12/code-security/code-scanning/troubleshooting-sarif-uploads/file-too-large).
    /// barproof writes one location per result, three rules of three tags each and no extensions
    /// or thread flows; it refuses to write more runs than allowed in one file (the audit of more
    /// hosts than that is a usage error) and writes at most ``resultsPerRun`` results in a run,
    /// errors first, with a notification saying how many it left out.
    public enum GitHubLimits {
        public static let runsPerFile = 20
        public static let resultsPerRun = 25_000
        public static let rulesPerRun = 25_000
        public static let extensionsPerRun = 100
        public static let locationsPerResult = 1_000
        public static let tagsPerRule = 20
        /// Compressed; barproof's logs stay far below it (25,000 results of about 2 KB compress to
        /// well under 10 MB), so it is not checked.
        public static let compressedFileBytes = 10 << 20
    }

    /// Where each result's limits stand: an empty list when the log can be uploaded.
    public var limitProblems: [String] {
        var problems: [String] = []
        if runs.count > GitHubLimits.runsPerFile { problems.append("\(runs.count) runs in one file (at most \(GitHubLimits.runsPerFile))") }
        for (i, run) in runs.enumerated() {
            if run.results.count > GitHubLimits.resultsPerRun {
                problems.append("run \(i): \(run.results.count) results (at most \(GitHubLimits.resultsPerRun))")
            }
            if run.tool.driver.rules.count > GitHubLimits.rulesPerRun { problems.append("run \(i): too many rules") }
            for rule in run.tool.driver.rules where rule.properties.tags.count > GitHubLimits.tagsPerRule {
                problems.append("run \(i): rule \(rule.id) has \(rule.properties.tags.count) tags (at most \(GitHubLimits.tagsPerRule))")
            }
            for result in run.results where result.locations.count > GitHubLimits.locationsPerResult {
                problems.append("run \(i): a result of rule \(result.ruleId) has \(result.locations.count) locations")
            }
        }
        return problems
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
    struct ArtifactLocation: Encodable { var uri: String; var uriBaseId: String? }
    struct Region: Encodable { var startLine: Int; var startColumn: Int? }
    struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation; var region: Region? }
    struct Location: Encodable { var physicalLocation: PhysicalLocation }
    /// SARIF `suppression`: barproof's are written in a file beside the sources (`external`) and
    /// are in force (`accepted`).
    struct SuppressionEntry: Encodable {
        var kind = "external"
        var status = "accepted"
        var justification: String
        var location: Location?
    }
    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var kind: String
        var message: Message
        var locations: [Location]
        var partialFingerprints: [String: String]
        var properties: [String: String]
        var suppressions: [SuppressionEntry]?
        var baselineState: String?
    }
    struct Notification: Encodable {
        var level: String
        var message: Message
        var locations: [Location]?
    }
    struct Invocation: Encodable {
        var executionSuccessful: Bool
        var exitCode: Int
        var toolExecutionNotifications: [Notification]?
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
        /// Which run this is among a tool's uploads (`barproof/prove/`, `barproof/audit/<host>/`),
        /// so that code scanning keeps one command's, and one host's, results apart from another's.
        var automationDetails: AutomationDetails?
        /// `SRCROOT`: the directory the relative artifact locations are relative to.
        var originalUriBaseIds: [String: ArtifactLocation]?
    }

    struct AutomationDetails: Encodable { var id: String }

    /// Names every run (SARIF `automationDetails.id`), e.g. `barproof/audit/host-a/`.
    public mutating func identify(as id: String) {
        for i in runs.indices { runs[i].automationDetails = AutomationDetails(id: id) }
    }

    /// One log holding the runs of `reports`, in order: one run per audited host. GitHub rejects a
    /// file of more than ``GitHubLimits/runsPerFile`` runs, so more is an error.
    public init(combining reports: [SARIFReport]) throws(TooManyRuns) {
        runs = reports.flatMap(\.runs)
        if runs.count > GitHubLimits.runsPerFile { throw TooManyRuns(count: runs.count) }
    }

    /// More runs than GitHub code scanning accepts in one file.
    public struct TooManyRuns: Error, CustomStringConvertible {
        public var count: Int
        public var description: String {
            "\(count) runs in one SARIF file; GitHub code scanning rejects a file of more than \(GitHubLimits.runsPerFile)"
        }
    }

    var schema = Self.schemaURI
    var version = "2.1.0"
    var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case version, runs
    }

    public init(_ outcomes: [CheckOutcome], barproofVersion: String, exitCode: Int, records: RecordComparison? = nil,
                root: SourceRoot? = nil, baseline: Bool = false, notices: [Notice] = []) {
        let findings = outcomes.filter { $0.status != .pass }.map { o in
            let text: String
            if let problem = o.recordProblem {
                text = "\(o.name): \(problem)."
            } else if o.status == .unknown {
                text = "\(o.name): inconclusive (\(o.reason ?? "the solver gave up")); expected \(o.expected.rawValue)."
            } else if !o.expected.isMet(by: o.verdict) {
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
                                        "verdict": o.verdict.rawValue, "policy": o.policy, "platform": o.platform],
                           suppression: o.suppression, baselineState: baseline ? (o.baselineState ?? .new) : nil)
        }
        var properties: [String: Property] = [:]
        if let records {
            properties = ["recordsDirectory": .string(records.directory), "recordsFound": .bool(records.found),
                          "recordsRecording": .bool(records.recording), "recordsRequired": .bool(records.required),
                          "recordsChecks": .int(records.checks), "recordsCompared": .int(records.compared),
                          "recordsWithoutRecord": .int(records.withoutRecord), "recordsInconclusive": .int(records.inconclusive),
                          "records": .string(records.line)]
        }
        self.init(findings: findings, command: .prove, barproofVersion: barproofVersion,
                  executionSuccessful: exitCode == 0 || exitCode == 1 || exitCode == 2, exitCode: exitCode, properties: properties,
                  root: root, notices: notices)
        identify(as: Command.prove.automationID())
    }

    /// One run of `command` holding `findings`. With `root`, every location inside it is written
    /// relative to it (`uriBaseId` `SRCROOT`) and the run says where it is; `notices` are the
    /// invocation's `toolExecutionNotifications`. At most ``GitHubLimits/resultsPerRun`` results
    /// are written, errors first, then warnings, then excused ones, each in the order given; a
    /// notification and the run's `resultsLeftOut` property count the rest.
    public init(findings: [Finding], command: Command, barproofVersion: String, executionSuccessful: Bool, exitCode: Int,
                properties: [String: Property] = [:], root: SourceRoot? = nil, notices: [Notice] = []) {
        let invariants = Invariant.allCases
        let rules = invariants.map { invariant in
            Rule(id: invariant.rawValue, name: Self.ruleName(invariant),
                 shortDescription: Message(text: Self.short(invariant)),
                 fullDescription: Message(text: "Invariant \(invariant.rawValue): \(invariant.statement)."),
                 help: MultiformatMessage(text: Self.help(invariant, command), markdown: Self.help(invariant, command)),
                 defaultConfiguration: Configuration(level: "error"),
                 properties: RuleProperties(tags: ["security", "vfio", "pci"], securitySeverity: Self.severity(invariant)))
        }
        func location(_ file: String, _ line: Int?, _ column: Int?) -> Location {
            let (uri, base) = root.map { $0.artifact(file) } ?? (file, nil)
            return Location(physicalLocation: PhysicalLocation(
                artifactLocation: ArtifactLocation(uri: uri, uriBaseId: base),
                region: line.map { Region(startLine: $0, startColumn: column) }))
        }
        var kept = findings
        var properties = properties
        var notices = notices
        if findings.count > GitHubLimits.resultsPerRun {
            func rank(_ f: Finding) -> Int { f.suppression != nil || f.baselineState == .unchanged ? 2 : f.level == "error" ? 0 : 1 }
            kept = Array(findings.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
                .prefix(GitHubLimits.resultsPerRun).map(\.element))
            let left = findings.count - kept.count
            properties["resultsLeftOut"] = .int(left)
            notices.append(Notice(file: nil, line: nil, column: nil, message: "\(left) of \(findings.count) results are left out: "
                + "GitHub code scanning rejects a run of more than \(GitHubLimits.resultsPerRun) results; errors are kept first",
                                  level: "warning"))
        }
        let results = kept.map { f in
            Result(ruleId: f.invariant.rawValue, ruleIndex: invariants.firstIndex(of: f.invariant) ?? 0,
                   level: f.level, kind: f.kind, message: Message(text: f.message),
                   locations: [location(f.file, f.line, f.column)],
                   partialFingerprints: f.fingerprints, properties: f.properties,
                   suppressions: f.suppression.map { s in
                       [SuppressionEntry(justification: s.justification, location: location(s.file, s.line, s.column))]
                   },
                   baselineState: f.baselineState?.rawValue)
        }
        let notifications = notices.map { n in
            Notification(level: n.level, message: Message(text: n.message),
                         locations: n.file.map { [location($0, n.line, n.column)] })
        }
        runs = [Run(tool: Tool(driver: Driver(version: barproofVersion, semanticVersion: barproofVersion, rules: rules)),
                    invocations: [Invocation(executionSuccessful: executionSuccessful, exitCode: exitCode,
                                             toolExecutionNotifications: notifications.isEmpty ? nil : notifications)],
                    results: results, properties: properties.isEmpty ? nil : properties,
                    originalUriBaseIds: root.map { [SourceRoot.baseID: ArtifactLocation(uri: $0.uri, uriBaseId: nil)] })]
    }

    /// The log of a run that bad input stopped before it had results: one run, no results,
    /// `executionSuccessful` false, and one `error` notification per problem at its place. As
    /// github/codeql-action#1316 and #1393 describe it, code scanning answers the upload of an
    /// unsuccessful execution with an "unsuccessful execution" error and does not process its
    /// results, so this log does not close open alerts as fixed: the upload fails visibly instead.
    public init(failure notices: [Notice], command: Command, automationID: String, barproofVersion: String, exitCode: Int,
                root: SourceRoot?) {
        self.init(findings: [], command: command, barproofVersion: barproofVersion, executionSuccessful: false, exitCode: exitCode,
                  root: root, notices: notices)
        identify(as: automationID)
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

    static func help(_ invariant: Invariant, _ command: Command) -> String {
        let what: String
        switch invariant {
        case .pageExclusive:
            what = "A guest or user process given a BAR through vfio-pci could read or write registers of a device it does not own."
        case .msixNeedsFiltering:
            what = "A process that can write an MSI-X table without MSI filtering can make the device send arbitrary interrupts (DMA writes to the MSI window)."
        case .mmapWithinBAR:
            what = "An mmap longer than the BAR's page-rounded extent reaches memory beyond the device."
        }
        switch command {
        case .prove:
            return "\(what) Run `barproof explain SPEC CHECK` for the counterexample or the clauses the proof depends on; "
                + "`barproof list` names the kernel source of every clause."
        case .audit:
            return "\(what) The result names the BAR, the bytes an mmap of it would expose and what lies on them, under the "
                + "policy and assumptions it was evaluated with. `barproof audit` (text) lists the pages and the IOMMU "
                + "group's verdict with the remedies it checked on this host (an IOMMU, allow_unsafe_interrupts=0, a later "
                + "kernel, pci=resource_alignment=); `barproof list` names the kernel source of every clause of the policy."
        }
    }

    static func severity(_ invariant: Invariant) -> String {
        switch invariant {
        case .pageExclusive: "8.8"
        case .msixNeedsFiltering: "7.8"
        case .mmapWithinBAR: "7.1"
        }
    }
}
