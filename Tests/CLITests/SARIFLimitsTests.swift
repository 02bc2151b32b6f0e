import Foundation
import Reports
import Testing

/// The limits GitHub code scanning documents for a SARIF upload (`SARIFReport.GitHubLimits`,
/// which cites the page): barproof's logs stay within them, a run with more results than GitHub
/// accepts keeps the most severe and says how many it left out, and a log of more runs than
/// allowed is refused. Source-root URIs are percent-encoded and relative where they can be.
/// In-process, no binary run.
@Suite(.timeLimit(.minutes(1))) struct SARIFLimitsTests {
    func finding(_ i: Int, level: String) -> SARIFReport.Finding {
        SARIFReport.Finding(invariant: .pageExclusive, level: level, kind: level == "error" ? "fail" : "open",
                            message: "finding \(i)", file: "/nowhere/resource", line: 1,
                            fingerprints: ["barproofAudit/v1": String(i)], properties: [:])
    }

    func object(_ report: SARIFReport) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: report.encoded()) as? [String: Any])
    }

    @Test func rulesAndLocationsAreWithinTheLimits() throws {
        let report = SARIFReport(findings: (0..<3).map { finding($0, level: "error") }, command: .audit, barproofVersion: "0",
                                 executionSuccessful: true, exitCode: 1)
        #expect(report.limitProblems.isEmpty)
        let run = try #require((try object(report)["runs"] as? [[String: Any]])?.first)
        let rules = try #require(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.count == 3 && rules.count <= SARIFReport.GitHubLimits.rulesPerRun)
        for rule in rules {
            let tags = try #require((rule["properties"] as? [String: Any])?["tags"] as? [String])
            #expect(!tags.isEmpty && tags.count <= SARIFReport.GitHubLimits.tagsPerRule)
        }
        for result in try #require(run["results"] as? [[String: Any]]) {
            let locations = try #require(result["locations"] as? [[String: Any]])
            #expect(locations.count == 1)
        }
        try CIFixtures.validate(String(decoding: try report.encoded(), as: UTF8.self), in: FileManager.default.temporaryDirectory)
    }

    /// 25,010 results: the 25,000 written are the 24,990 errors and the first 10 warnings, with a
    /// warning notification and `resultsLeftOut` saying 10 were left out.
    @Test func resultsBeyondTheLimitAreLeftOutWithANotice() throws {
        let total = SARIFReport.GitHubLimits.resultsPerRun + 10
        let findings = (0..<total).map { finding($0, level: $0 % 1000 < 20 && $0 < 1000 ? "warning" : "error") }
        let errors = findings.filter { $0.level == "error" }.count
        #expect(errors == total - 20)
        let report = SARIFReport(findings: findings, command: .audit, barproofVersion: "0", executionSuccessful: true, exitCode: 1)
        #expect(report.limitProblems.isEmpty, "\(report.limitProblems)")
        let run = try #require((try object(report)["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == SARIFReport.GitHubLimits.resultsPerRun)
        #expect(results.prefix(errors).allSatisfy { $0["level"] as? String == "error" })
        #expect(results.dropFirst(errors).map { ($0["message"] as? [String: Any])?["text"] as? String }
                == (0..<10).map { "finding \($0)" })
        #expect((run["properties"] as? [String: Any])?["resultsLeftOut"] as? Int == 10)
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        let notice = try #require((invocation["toolExecutionNotifications"] as? [[String: Any]])?.first)
        #expect(notice["level"] as? String == "warning")
        #expect(((notice["message"] as? [String: Any])?["text"] as? String)?.contains("10 of 25010 results are left out") == true)
        #expect(notice["locations"] == nil)
        // Validating these 25,000 results takes the validator about 15 s: the same shapes (a
        // notification without a location, an integer property) are validated in a small log.
        var properties: [String: SARIFReport.Property] = ["resultsLeftOut": .int(10)]
        properties["status"] = .string("violated")
        let small = SARIFReport(findings: [finding(0, level: "error")], command: .audit, barproofVersion: "0", executionSuccessful: true,
                                exitCode: 1, properties: properties,
                                notices: [SARIFReport.Notice(file: nil, line: nil, column: nil, message: "left out", level: "warning")])
        try CIFixtures.validate(String(decoding: try small.encoded(), as: UTF8.self), in: FileManager.default.temporaryDirectory)
    }

    @Test func moreRunsThanAFileHoldsAreRefused() throws {
        let one = SARIFReport(findings: [], command: .audit, barproofVersion: "0", executionSuccessful: true, exitCode: 0)
        let twenty = try SARIFReport(combining: Array(repeating: one, count: SARIFReport.GitHubLimits.runsPerFile))
        #expect(twenty.limitProblems.isEmpty)
        try CIFixtures.validate(String(decoding: try twenty.encoded(), as: UTF8.self), in: FileManager.default.temporaryDirectory)
        #expect(throws: SARIFReport.TooManyRuns.self) {
            try SARIFReport(combining: Array(repeating: one, count: SARIFReport.GitHubLimits.runsPerFile + 1))
        }
    }

    @Test func sourceRootURIs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("root é #\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sys/0000:00:01.0"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = SourceRoot(path: folder.path)
        let encoded = SourceRoot.encode(folder.path)
        #expect(encoded.contains("root%20%C3%A9%20%23"))
        #expect(root.uri == "file://\(encoded)/")
        #expect(root.artifact(folder.path + "/sys/0000:00:01.0/resource") == ("sys/0000:00:01.0/resource", "SRCROOT"))
        #expect(root.artifact("sys/../sys/./a b.yaml", from: folder.path) == ("sys/a%20b.yaml", "SRCROOT"))
        // A colon in the first segment would read as a scheme.
        #expect(root.artifact("0000:00:01.0/resource", from: folder.path + "/sys") == ("sys/0000:00:01.0/resource", "SRCROOT"))
        #expect(SourceRoot.encodeRelative("0000:00:01.0/resource") == "0000%3A00%3A01.0/resource")
        #expect(root.artifact("/etc/passwd") == ("file:///etc/passwd", nil))
        #expect(root.artifact(folder.path) == ("file://\(encoded)", nil))
        #expect(SourceRoot(path: "/").artifact("/etc/x") == ("etc/x", "SRCROOT"))
    }
}
