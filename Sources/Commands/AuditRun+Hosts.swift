import Audit
import Foundation
import PCIModel
import Reports
import VFIORules

extension AuditRun {
    /// One host's audit, or why there is none: the message for standard error and the exit code
    /// (and, for bad input, the problem as a SARIF notification).
    enum HostOutcome: Sendable {
        /// Why a host has no report.
        struct Failure: Error, Sendable {
            var message: String
            var code: Int32
            var notice: SARIFReport.Notice?
        }

        /// The report, its JSON document when the fleet is written as JSON (encoded by the
        /// worker), and its SARIF findings when SARIF is written.
        case audited(AuditReport, EncodedDocument?, [SARIFReport.Finding])
        case failed(String, Int32, SARIFReport.Notice?)
    }

    /// What the command does with each host's report once it is audited, in the worker.
    struct HostFinish: Sendable {
        var suppressions: SuppressionFile?
        var baseline: Baseline?
        var singleHost: Bool
        var encodeJSON: Bool
        var sarif: Bool

        /// Excuses what the suppressions and the baseline excuse, then encodes what is wanted.
        /// `label` is the host's name in SARIF; `place` where a finding about a BAR points.
        func finish(_ report: AuditReport, label: String, place: ([AuditFinding]) -> (DeviceAudit, BARAudit) -> (String, Int, Int))
            -> HostOutcome {
            var report = report
            report.suppressionsFile = suppressions?.file
            report.baselineFile = baseline?.file
            if suppressions != nil || baseline != nil {
                let host = report.host ?? "host"
                let hosts = [SourceRootResolution.normalized(host), label]
                report.excuse(suppression: { finding in
                    suppressions?.suppression(hosts: hosts, device: finding.device, bar: finding.bar, invariant: finding.invariant).map {
                        SuppressedFinding(invariant: finding.invariant, justification: $0.suppression.justification,
                                          expires: $0.suppression.expires, file: $0.suppression.file, line: $0.suppression.line,
                                          column: $0.suppression.column)
                    }
                }, baseline: baseline.map { baseline in
                    { finding in baseline.contains(host: host, device: finding.device, bar: finding.bar,
                                                   invariant: finding.invariant, singleHost: singleHost) }
                })
            }
            var document: EncodedDocument?
            if encodeJSON {
                do { document = EncodedDocument(try JSONOutput.encode(report)) } catch {
                    return .failed("internal error: \(error)", Exit.internalError, nil)
                }
            }
            let findings = sarif ? report.sarifFindings(place: place(report.findings), baseline: baseline != nil) : []
            return .audited(report, document, findings)
        }
    }

    /// Audits one host without printing (hosts of a fleet run in parallel; the caller prints in
    /// input order). `notice` places a problem of the input in a SARIF notification.
    static func audit(_ files: some SysfsFiles, name: String, defaultPageSize: UInt64, describe: (String) -> String,
                      notice: (AuditInputError) -> SARIFReport.Notice, overrides: AuditOverrides)
        -> Result<AuditReport, HostOutcome.Failure> {
        let host: HostInventory
        do throws(AuditInputError) {
            host = try HostInventory.load(from: files)
        } catch {
            // Paths and messages quote the input (names, link targets): escaped for the terminal.
            return .failure(.init(message: "\(describe(error.file)): \(error.message)".escapingControlCharacters, code: Exit.badInput,
                                  notice: notice(error)))
        }
        // A snapshot's own page size was checked when it was loaded; this machine's is a page size.
        guard let page = overrides.pageSize ?? PageSize(rawValue: defaultPageSize) else {
            return .failure(.init(message: "error: the page size \(defaultPageSize) is not a power of two from 4096 to 1 GiB; give --page-size",
                                  code: Exit.usage, notice: nil))
        }
        var report: AuditReport
        let options: AuditOptions
        do throws(PolicyError) {
            (report, options) = try HostAudit.run(host, overrides: overrides, defaultPageSize: page, name: name)
        } catch {
            return .failure(.init(message: "error: \(error)", code: Exit.usage, notice: nil))
        }
        AuditRemedies.addResourceAlignment(to: &report, host: host, options: options)
        report.barproofVersion = BarproofRelease.version
        return .success(report)
    }

    /// The line an input error names in its message (`line 3: ...`), for its SARIF place.
    static func line(of error: AuditInputError) -> (Int?, Int?) {
        if let parse = error.parseError { return (parse.line, parse.column) }
        let words = error.message.split(separator: " ", maxSplits: 2)
        if words.count >= 2, words[0] == "line", let n = Int(words[1].trimmingCharacters(in: CharacterSet(charactersIn: ":,"))) {
            return (n, nil)
        }
        return (nil, nil)
    }
}
