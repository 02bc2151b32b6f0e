import Foundation
import Reports
import SpecFiles

/// Where one run's reports go: the `--format` report to standard output or `--output`, and each
/// of `--sarif`, `--junit`, `--json` to its file. Naming one format twice (`--format sarif` with
/// `--sarif`), or one file for two reports, is a usage error: neither would silently win.
public struct ReportTargets {
    public enum Kind: String { case text, json, sarif, junit }

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
        let log = try SARIFReport(failure: notices, command: command, automationID: automationID, barproofVersion: BarproofRelease.version,
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
