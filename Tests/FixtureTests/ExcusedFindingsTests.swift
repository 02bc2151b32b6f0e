import Audit
import Foundation
import PCIModel
import Prover
@testable import Reports
import Testing

/// An audit's findings excused by suppressions and a baseline (`AuditReport.excuse`): counted
/// apart, left out of `status` and the exit code only, and written by barproof's encoder byte for
/// byte as Foundation writes them. In-process.
@Suite(.timeLimit(.minutes(1)))
struct ExcusedFindingsTests {
    func violatingReport() -> AuditReport {
        HostAudit.run(HostInventory.synthetic(functions: 30, sharingOneRange: true),
                      options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no, allowUnsafeInterrupts: true))
    }

    @Test func excusedFindingsDoNotCount() throws {
        var report = violatingReport()
        let findings = report.findings
        try #require(findings.count >= 4, "the synthetic host has \(findings.count) findings")
        #expect(report.status == "violated" && report.exitCode == 1)

        // Suppress the first finding, take the others but the last from the baseline.
        let first = findings[0], last = findings[findings.count - 1]
        report.suppressionsFile = "barproof-suppressions.yaml"
        report.baselineFile = "baseline.json"
        report.excuse(suppression: { $0 == first ? SuppressedFinding(invariant: $0.invariant, justification: "known", expires: nil,
                                                                      file: "barproof-suppressions.yaml", line: 3, column: 3) : nil },
                      baseline: { $0 != last })
        #expect(report.suppressedCount == 1)
        #expect(report.baselineUnchangedCount == findings.count - 2) // the first is suppressed, the last is new
        #expect(report.violationCount == findings.filter(\.violated).count)
        #expect(report.status == (last.violated ? "violated" : "incomplete"))
        #expect(report.exitCode == (last.violated ? 1 : 2))
        try expectSameEncoding(report)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONOutput.encode(report)) as? [String: Any])
        #expect(json["suppressed_count"] as? Int == 1)
        #expect(json["baseline_unchanged_count"] as? Int == findings.count - 2)
        #expect(json["suppressions"] as? String == "barproof-suppressions.yaml")

        // The last one in the baseline too: nothing counts, the verdicts stay as they were.
        report.excuse(suppression: { $0 == first ? SuppressedFinding(invariant: $0.invariant, justification: "known", expires: nil,
                                                                      file: "barproof-suppressions.yaml", line: 3, column: 3) : nil },
                      baseline: { _ in true })
        #expect(report.status == "clean" && report.exitCode == 0)
        #expect(report.devices.flatMap(\.bars).contains { $0.verdict == "violated" })
        #expect(report.text.contains("(not counted: 1 suppressed, \(findings.count - 1) in the baseline)"), "\(report.text.suffix(300))")
        #expect(report.text.contains("(suppressed)") && report.text.contains("(in the baseline)"))
        try expectSameEncoding(report)
        try expectSameEncoding(FleetAudit([report, violatingReport()], barproofVersion: "0.1.0"))
        #expect(FleetAudit([report, violatingReport()], barproofVersion: "0.1.0").exitCode == 1)
    }

    /// A baseline excuses violations it had, never an unknown verdict: what could not be decided
    /// fails the run (exit 2) however often it was undecided before. A suppression, which names
    /// its justification, does excuse one.
    @Test func theBaselineExcusesNoUnknownVerdict() throws {
        var report = violatingReport()
        // Every finding of the report made unknown, as unread input leaves a verdict.
        for d in report.devices.indices {
            for b in report.devices[d].bars.indices {
                for v in report.devices[d].bars[b].verdicts.indices {
                    let verdict = report.devices[d].bars[b].verdicts[v]
                    report.devices[d].bars[b].verdicts[v].unknown = Array(Set(verdict.unknown + verdict.violations)).sorted()
                    report.devices[d].bars[b].verdicts[v].violations = []
                }
            }
        }
        let findings = report.findings
        try #require(!findings.isEmpty && findings.allSatisfy { !$0.violated })
        report.excuse(suppression: { _ in nil }, baseline: { _ in true })
        #expect(report.status == "incomplete" && report.exitCode == 2)
        #expect(report.baselineUnchangedCount == 0)
        report.excuse(suppression: { SuppressedFinding(invariant: $0.invariant, justification: "known", expires: nil,
                                                       file: "barproof-suppressions.yaml", line: 3, column: 3) },
                      baseline: { _ in true })
        #expect(report.status == "clean" && report.exitCode == 0)

        var outcome = CheckOutcome(location: SpecLocation(spec: "tiny", file: "tiny.yaml", line: 4, column: 5), check: "c",
                                   invariant: .pageExclusive, policy: "mainline", platform: "4 KiB", expected: .proved,
                                   verdict: .unknown(reason: "resource limit"), seconds: 0.1)
        #expect(outcome.status == .unknown)
        outcome.baselineState = .unchanged
        #expect(!outcome.excused && outcome.counts)
        outcome.suppression = Suppression(justification: "known", expires: nil, file: "barproof-suppressions.yaml", line: 2, column: 3)
        #expect(outcome.excused && !outcome.counts)
    }

    /// Without suppressions or a baseline the document has none of the new keys: a report is as
    /// it was before they existed.
    @Test func noExcusesWriteNoNewKeys() throws {
        let report = violatingReport()
        let text = String(decoding: try JSONOutput.encode(report), as: UTF8.self)
        for key in ["\"suppressed\"", "\"baseline\"", "suppressed_count", "baseline_unchanged_count", "\"suppressions\""] {
            #expect(!text.contains(key), "\(key)")
        }
    }

    func expectSameEncoding<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try JSONOutput.encode(value) == JSONOutput.foundationEncode(value), sourceLocation: sourceLocation)
        #expect(Data(try DocumentEncoder.encode(value) + [0x0A]) == (try JSONOutput.foundationEncode(value)), sourceLocation: sourceLocation)
    }
}
