import Foundation
import PCIModel
import Reports
import SpecFiles
import VFIORules
import Yams

// What `prove` and `audit` share for CI: the source root SARIF locations are relative to, the
// report files written beside standard output, suppressions and baselines.

// MARK: - Source root

enum SourceRootResolution {
    /// How long `git rev-parse --show-toplevel` may take before barproof walks up for `.git` instead.
    static let gitTimeout: DispatchTimeInterval = .seconds(3)

    /// `--srcroot DIR` (an existing directory), else the git top level of the current directory
    /// (`git rev-parse --show-toplevel` under a time limit, else the nearest parent holding a
    /// `.git` directory or file), else the current directory.
    static func resolve(_ given: String?) throws -> SourceRoot {
        let cwd = FileManager.default.currentDirectoryPath
        if let given {
            let absolute = given.hasPrefix("/") ? given : cwd + "/" + given
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError(message: "--srcroot \(given): no such directory")
            }
            return SourceRoot(path: absolute)
        }
        if let top = gitTopLevel(in: cwd) { return SourceRoot(path: top) }
        var directory = SourceRoot.resolved(cwd)
        while true {
            if FileManager.default.fileExists(atPath: directory + "/.git") { return SourceRoot(path: directory) }
            if directory == "/" || directory.isEmpty { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return SourceRoot(path: cwd)
    }

    /// `git rev-parse --show-toplevel` run in `directory`, or nil when git is missing, fails, or
    /// has not answered within ``gitTimeout`` (it is then killed).
    static func gitTopLevel(in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--show-toplevel"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { return nil }
        // The path is one short line: it fits the pipe, so the process never blocks on it.
        if done.wait(timeout: .now() + gitTimeout) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + .milliseconds(500)) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            return nil
        }
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("/") ? text : nil
    }

    /// The `<host>` of `barproof/audit/<host>/`: for the live machine (`--sysfs /`) its host
    /// name; for a snapshot or a copied tree, its path relative to the source root when inside it,
    /// else as given (without a leading `./` or trailing `/`).
    static func hostLabel(_ given: String, liveRoot: Bool, root: SourceRoot) -> String {
        if liveRoot {
            var name = [UInt8](repeating: 0, count: 256)
            if name.withUnsafeMutableBufferPointer({ gethostname(UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 255) }) == 0 {
                let host = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
                if !host.isEmpty { return host }
            }
        }
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = SourceRoot.resolved(given.hasPrefix("/") ? given : cwd + "/" + given)
        if let relative = root.relativePath(absolute) { return relative }
        return normalized(given)
    }

    /// A path without `./` at its start, doubled slashes or a trailing slash.
    static func normalized(_ path: String) -> String {
        var text = path
        while text.hasPrefix("./") { text.removeFirst(2) }
        while text.contains("//") { text = text.replacingOccurrences(of: "//", with: "/") }
        if text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// A file an option names must exist and be a regular file (a FIFO or a device is never read):
/// else a usage error, so that a typo cannot turn the option off.
func requireRegularFile(_ path: String, option: String) throws {
    var status = stat()
    guard stat(path, &status) == 0 else { throw UsageError(message: "\(option) \(path): no such file") }
    guard status.st_mode & S_IFMT == S_IFREG else { throw UsageError(message: "\(option) \(path): not a regular file") }
}

// MARK: - Report files

/// Where one run's reports go: the `--format` report to standard output or `--output`, and each
/// of `--sarif`, `--junit`, `--json` to its file. Naming one format twice (`--format sarif` with
/// `--sarif`), or one file for two reports, is a usage error: neither would silently win.
struct ReportTargets {
    enum Kind: String { case text, json, sarif, junit }

    var format: Kind
    /// `--output`; nil for standard output.
    var output: String?
    /// The extra files, in the order `--sarif`, `--junit`, `--json`.
    var files: [(kind: Kind, path: String)]

    init(format: Kind, output: String?, extra: [(Kind, String?)]) throws {
        self.format = format
        self.output = output
        files = extra.compactMap { kind, path in path.map { (kind, $0) } }
        for (kind, _) in files where kind == format {
            throw UsageError(message: "--\(kind.rawValue) FILE and --format \(kind.rawValue) both ask for the \(kind.rawValue.uppercased()) report; "
                             + "give one (--format \(kind.rawValue) --output FILE writes it to a file, --\(kind.rawValue) FILE beside the --format report)")
        }
        var named: [(option: String, path: String)] = output.map { [("--output", $0)] } ?? []
        named += files.map { ("--\($0.kind.rawValue)", $0.path) }
        let cwd = FileManager.default.currentDirectoryPath
        var seen: [String: String] = [:]
        for (option, path) in named {
            if path.isEmpty { throw UsageError(message: "\(option) needs a file name") }
            let key = SourceRoot.resolved(path.hasPrefix("/") ? path : cwd + "/" + path)
            if let other = seen[key] { throw UsageError(message: "\(other) and \(option) both name \(path); give each report its own file") }
            seen[key] = option
        }
    }

    /// Where the SARIF log goes, when one is asked for: nil for standard output.
    var sarif: String?? {
        if format == .sarif { return .some(output) }
        return files.first { $0.kind == .sarif }.map { .some($0.path) }
    }

    /// Writes every report: the files first, all as one unit (each atomically, none when one
    /// fails), then the `--format` report to standard output unless it went to `--output`.
    func write(_ reports: [Kind: Data]) throws {
        var batch: [(path: String, data: Data)] = []
        if let output, let data = reports[format] { batch.append((output, data)) }
        for (kind, path) in files { if let data = reports[kind] { batch.append((path, data)) } }
        if !batch.isEmpty { try OutputFiles.write(batch) }
        if output == nil, let data = reports[format] { printOut(data) }
    }

    /// After bad input: the SARIF log of the failure (`executionSuccessful: false`, one
    /// notification per problem) where the SARIF was asked for; no other report. Returns where it
    /// went (a file, or `standard output`), nil when no SARIF was asked for.
    func writeFailure(_ notices: [SARIFReport.Notice], command: SARIFReport.Command, automationID: String,
                      root: SourceRoot) throws -> String? {
        guard let target = sarif else { return nil }
        let log = try SARIFReport(failure: notices, command: command, automationID: automationID, barproofVersion: Barproof.version,
                                  exitCode: Int(Exit.badInput), root: root).encoded()
        if let path = target {
            try OutputFiles.write(log, to: path)
            return path
        }
        printOut(log)
        return "standard output"
    }
}

extension SpecDiagnostic {
    /// The problem as a SARIF notification at its place.
    var notice: SARIFReport.Notice { SARIFReport.Notice(file: file, line: line, column: column, message: message) }
}

// MARK: - Suppressions

/// A suppressions file (`barproof-suppressions.yaml`, docs/formats/suppressions.md): a YAML list of
/// entries, each naming a check (`check: spec/check`) or an audit finding (`audit: {host?, device,
/// bar, invariant}`), with a required `justification` and an optional `expires: YYYY-MM-DD`.
struct SuppressionFile {
    /// What one entry excuses.
    enum Target: Hashable {
        case check(spec: String, check: String)
        case audit(host: String?, device: String, bar: Int, invariant: String)
    }

    struct Entry {
        var target: Target
        var suppression: Suppression
        /// Its `expires` date is before today (UTC): it suppresses nothing.
        var expired: Bool
    }

    static let defaultName = "barproof-suppressions.yaml"
    static let entryKeys = ["check", "audit", "justification", "expires"]
    static let auditKeys = ["host", "device", "bar", "invariant"]

    var file: String
    var entries: [Entry]

    /// `--suppressions FILE` (which must exist), else `barproof-suppressions.yaml` in the source
    /// root when it is there, else none.
    static func find(_ given: String?, root: SourceRoot) throws -> String? {
        if let given {
            try requireRegularFile(given, option: "--suppressions")
            return given
        }
        let candidate = (root.path == "/" ? "" : root.path) + "/" + defaultName
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Today's date in UTC, `YYYY-MM-DD`.
    static var today: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Reads and checks the file; every problem is bad input at its line and column
    /// (``SpecErrors``). `specs`, when given, are the loaded specs: an entry naming a check one of
    /// them lacks is an error (a typo would otherwise suppress nothing, silently).
    static func load(_ path: String, today: String = SuppressionFile.today, specs: [Spec]? = nil) throws -> SuppressionFile {
        var parser = SpecParser(file: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "cannot read the suppressions file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "the suppressions file is not UTF-8")])
        }
        do {
            try NestingLimit.checkYAML(text)
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column, message: error.message)])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let yaml as YamlError {
            let (mark, problem) = SpecParser.describe(yaml)
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1,
                                                          message: "not valid YAML: \(problem)")])
        }
        var entries: [Entry] = []
        var seen: [Target: Int] = [:]
        switch root {
        case nil:
            break // an empty file suppresses nothing
        case .sequence(let items)?:
            for item in items {
                guard let entry = parser.suppression(item, today: today, specs: specs) else { continue }
                if let first = seen[entry.target] {
                    parser.error(item, "this entry suppresses what the entry at line \(first) does; keep one")
                    continue
                }
                seen[entry.target] = entry.suppression.line
                entries.append(entry)
            }
        case let node?:
            parser.error(node, "a suppressions file is a list of entries (- check: spec/check ... or - audit: {...}), found \(SpecParser.kind(node))")
        }
        if !parser.diagnostics.isEmpty { throw SpecErrors(diagnostics: parser.diagnostics) }
        return SuppressionFile(file: path, entries: entries)
    }

    /// The entry in force that suppresses check `spec/check`, marking it used.
    func suppression(spec: String, check: String) -> Entry? {
        entries.first { !$0.expired && $0.target == .check(spec: spec, check: check) }
    }

    /// The entry in force that suppresses an audit finding of `host` (named by `hosts`: the
    /// report's host as given and its label).
    func suppression(hosts: [String], device: String, bar: Int, invariant: String) -> Entry? {
        entries.first { entry in
            guard !entry.expired, case let .audit(host, entryDevice, entryBAR, entryInvariant) = entry.target else { return false }
            if let host, !hosts.contains(SourceRootResolution.normalized(host)) { return false }
            return entryBAR == bar && entryInvariant == invariant && Self.sameDevice(entryDevice, device)
        }
    }

    static func sameDevice(_ a: String, _ b: String) -> Bool {
        if let x = PCIAddress(a), let y = PCIAddress(b) { return x == y }
        return a == b
    }

    /// Warns on standard error about every expired entry of the kind `command` reads: it
    /// suppresses nothing, so what it named fails again.
    func warnExpired(prove: Bool) {
        for entry in entries where entry.expired {
            switch (entry.target, prove) {
            case (.check, true), (.audit, false):
                printError("warning: \(file):\(entry.suppression.line):\(entry.suppression.column): the suppression of "
                           + "\(Self.describe(entry.target)) expired on \(entry.suppression.expires ?? "?"); it suppresses nothing")
            default:
                continue
            }
        }
    }

    /// The expired entries of the kind the command reads, as SARIF warnings at their place.
    func expiredNotices(prove: Bool) -> [SARIFReport.Notice] {
        entries.compactMap { entry in
            switch (entry.target, prove, entry.expired) {
            case (.check, true, true), (.audit, false, true):
                return SARIFReport.Notice(file: file, line: entry.suppression.line, column: entry.suppression.column,
                                          message: "the suppression of \(Self.describe(entry.target)) expired on "
                                              + "\(entry.suppression.expires ?? "?"); it suppresses nothing", level: "warning")
            default:
                return nil
            }
        }
    }

    /// Notes, on standard error, entries in force of the kind the command reads that matched nothing.
    func noteUnused(_ used: Set<Target>, prove: Bool) {
        for entry in entries where !entry.expired && !used.contains(entry.target) {
            switch (entry.target, prove) {
            case (.check, true), (.audit, false):
                printError("note: \(file):\(entry.suppression.line): the suppression of \(Self.describe(entry.target)) matched nothing in this run")
            default:
                continue
            }
        }
    }

    static func describe(_ target: Target) -> String {
        switch target {
        case let .check(spec, check): "check \(spec)/\(check)"
        case let .audit(host, device, bar, invariant): "\(host.map { "\($0): " } ?? "")\(device) BAR \(bar) \(invariant)"
        }
    }
}

extension SpecParser {
    /// One entry of a suppressions file, or nil after noting its problems.
    mutating func suppression(_ node: Node, today: String, specs: [Spec]?) -> SuppressionFile.Entry? {
        guard let keys = fields(node, allowed: SuppressionFile.entryKeys, what: "a suppression") else { return nil }
        var target: SuppressionFile.Target?
        switch (keys["check"], keys["audit"]) {
        case let (value?, nil):
            if let name = string(value, what: "'check'") {
                let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                if parts.count != 2 || parts.contains(where: \.isEmpty) {
                    error(value, "'check' names a check as spec/check (e.g. mainline/page-exclusive), found '\(name)'")
                } else if let spec = specs?.first(where: { $0.name == parts[0] }), !spec.checks.contains(where: { $0.name == parts[1] }) {
                    error(value, "spec \(spec.name) has no check '\(parts[1])'" + NameSuggestion.hint(for: parts[1], among: spec.checks.map(\.name)))
                } else {
                    target = .check(spec: parts[0], check: parts[1])
                }
            }
        case let (nil, value?):
            target = auditTarget(value)
        case (_?, let value?):
            error(value, "an entry suppresses a check or an audit finding: give 'check' or 'audit', not both")
        case (nil, nil):
            error(node, "missing key 'check' (spec/check) or 'audit' ({device, bar, invariant})")
        }
        var justification: String?
        if let value = keys["justification"] {
            if let text = string(value, what: "'justification'") {
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    error(value, "'justification' is empty; say why the finding is accepted")
                } else {
                    justification = text
                }
            }
        } else {
            error(node, "missing key 'justification': say why the finding is accepted")
        }
        var expires: String?
        if let value = keys["expires"], let text = string(value, what: "'expires'") {
            if Self.isDate(text) { expires = text } else { error(value, "'expires' must be a date YYYY-MM-DD, found '\(text)'") }
        }
        guard let target, let justification, keys["expires"] == nil || expires != nil else { return nil }
        let mark = node.mark
        return SuppressionFile.Entry(target: target,
                                     suppression: Suppression(justification: justification, expires: expires, file: file,
                                                              line: mark?.line ?? 1, column: mark?.column ?? 1),
                                     expired: expires.map { $0 < today } ?? false)
    }

    mutating func auditTarget(_ node: Node) -> SuppressionFile.Target? {
        guard let keys = fields(node, allowed: SuppressionFile.auditKeys, what: "'audit'") else { return nil }
        let host = keys["host"].flatMap { string($0, what: "'host'") }
        var device: String?
        if let value = keys["device"] {
            if let text = string(value, what: "'device'") {
                if let address = PCIAddress(text) { device = address.description } else {
                    error(value, "'device' must be a PCI address dddd:bb:dd.f (e.g. 0000:01:00.0), found '\(text)'")
                }
            }
        } else {
            error(node, "missing key 'device' in 'audit' (a PCI address, e.g. 0000:01:00.0)")
        }
        var bar: Int?
        if let value = keys["bar"] {
            if let text = string(value, what: "'bar'") {
                if let n = Int(text), (0...5).contains(n) { bar = n } else { error(value, "'bar' must be a BAR index 0-5, found '\(text)'") }
            }
        } else {
            error(node, "missing key 'bar' in 'audit' (0-5)")
        }
        var invariant: String?
        if let value = keys["invariant"] {
            if let name = string(value, what: "'invariant'") {
                if Invariant(rawValue: name) != nil { invariant = name } else {
                    error(value, "unknown invariant '\(name)'" + NameSuggestion.hint(for: name, among: Invariant.allCases.map(\.rawValue)))
                }
            }
        } else {
            error(node, "missing key 'invariant' in 'audit' (\(Invariant.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if keys["host"] != nil && host == nil { return nil }
        guard let device, let bar, let invariant else { return nil }
        return .audit(host: host, device: device, bar: bar, invariant: invariant)
    }

    /// `YYYY-MM-DD`, a day of the Gregorian calendar.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}

// MARK: - Baselines

/// An earlier report given as `--baseline`: what did not pass in it. `prove` reads a
/// `barproof-prove` report (checks by spec/check), `audit` a `barproof-audit` or
/// `barproof-audit-fleet` report (findings by host, device, BAR and invariant). Any other document
/// is bad input at its `schema`.
struct Baseline {
    var file: String
    /// `spec/check` of each check that did not pass.
    var checks: Set<String> = []
    /// Each audit finding: host (as its report names it), device, BAR, invariant.
    var findings: Set<AuditKey> = []
    /// The hosts the baseline audited.
    var hosts: Set<String> = []

    struct AuditKey: Hashable {
        var host: String
        var device: String
        var bar: Int
        var invariant: String
    }

    /// `--baseline FILE`: it must exist (else a usage error, so a typo cannot turn it off).
    static func check(_ given: String) throws {
        try requireRegularFile(given, option: "--baseline")
    }

    struct Header: Decodable {
        var schema: String
        var schemaVersion: Int?
        enum CodingKeys: String, CodingKey {
            case schema
            case schemaVersion = "schema_version"
        }
    }

    struct ProveDocument: Decodable {
        struct Check: Decodable { var spec: String; var check: String; var status: String }
        var checks: [Check]
    }

    struct AuditDocument: Decodable {
        struct Verdict: Decodable { var violations: [String]; var unknown: [String]? }
        struct BAR: Decodable { var index: Int; var verdicts: [Verdict] }
        struct Device: Decodable { var address: String; var bars: [BAR] }
        var host: String?
        var devices: [Device]
    }

    struct FleetDocument: Decodable { var hosts: [AuditDocument] }

    static func read(_ path: String) throws -> (Data, Header) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "cannot read the baseline")])
        }
        do throws(JSONInput.Problem) {
            return (data, try JSONInput.decode(Header.self, from: data))
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column,
                                                          message: "not a barproof report: \(error.message)")])
        }
    }

    static func wrongSchema(_ path: String, _ data: Data, _ header: Header, expected: String) -> SpecErrors {
        let place = JSONInput.problem(atKeys: ["schema"], in: data, "")
        let given = header.schemaVersion.map { "\(header.schema) version \($0)" } ?? header.schema
        return SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: place.line, column: place.column,
                                                       message: "schema \(given); --baseline takes \(expected)")])
    }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String, _ data: Data) throws -> T {
        do throws(JSONInput.Problem) {
            return try JSONInput.decode(type, from: data)
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column, message: error.message)])
        }
    }

    /// A `barproof prove --format json` report (version 1).
    static func prove(_ path: String) throws -> Baseline {
        let (data, header) = try read(path)
        guard header.schema == JSONReport.schema, header.schemaVersion == JSONReport.schemaVersion else {
            throw wrongSchema(path, data, header, expected: "a barproof-prove version 1 report (barproof prove --format json)")
        }
        let document = try decode(ProveDocument.self, path, data)
        return Baseline(file: path, checks: Set(document.checks.filter { $0.status != "pass" }.map { "\($0.spec)/\($0.check)" }))
    }

    /// A `barproof audit --format json` report of one host or of a fleet (version 1).
    static func audit(_ path: String) throws -> Baseline {
        let (data, header) = try read(path)
        let hosts: [AuditDocument]
        switch (header.schema, header.schemaVersion) {
        case ("barproof-audit", 1): hosts = [try decode(AuditDocument.self, path, data)]
        case ("barproof-audit-fleet", 1): hosts = try decode(FleetDocument.self, path, data).hosts
        default:
            throw wrongSchema(path, data, header, expected: "a barproof-audit or barproof-audit-fleet version 1 report (barproof audit --format json)")
        }
        var baseline = Baseline(file: path)
        for host in hosts {
            let name = SourceRootResolution.normalized(host.host ?? "host")
            baseline.hosts.insert(name)
            for device in host.devices {
                let address = PCIAddress(device.address)?.description ?? device.address
                for bar in device.bars {
                    for id in Set(bar.verdicts.flatMap { $0.violations + ($0.unknown ?? []) }) {
                        baseline.findings.insert(AuditKey(host: name, device: address, bar: bar.index, invariant: id))
                    }
                }
            }
        }
        return baseline
    }

    /// Whether an audit finding of `host` was one in the baseline too. A baseline of one host
    /// matched against the audit of one host ignores the host's name (the same host audited from
    /// another path).
    func contains(host: String, device: String, bar: Int, invariant: String, singleHost: Bool) -> Bool {
        let address = PCIAddress(device)?.description ?? device
        let name = singleHost && hosts.count == 1 ? hosts.first! : SourceRootResolution.normalized(host)
        return findings.contains(AuditKey(host: name, device: address, bar: bar, invariant: invariant))
    }
}
