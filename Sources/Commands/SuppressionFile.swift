import Foundation
import PCIModel
import Reports
import SpecFiles
import VFIORules
import Yams

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
