import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The CI formats: JUnit XML that parses with the right counts, SARIF 2.1.0 with what GitHub
/// code scanning reads (rules with descriptions, help and security-severity; located results
/// with fingerprints).
@Suite(.serialized, .timeLimit(.minutes(1))) struct FormatTests {
    func wrongSpec(_ specs: SpecDirectory) throws -> String {
        try specs.write("wrong", ProveCommandTests.fastSpec.replacingOccurrences(of: "expect: refuted", with: "expect: proved"))
    }

    @Test func junitParsesWithCounts() throws {
        let specs = try SpecDirectory()
        let path = try wrongSpec(specs)
        let run = try BarproofRun.run(["prove", path, "--format", "junit", "--proofs", specs.path("proofs")])
        #expect(run.status == 1)
        let document = try XMLDocument(data: Data(run.stdout.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == "2")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        #expect(root.attribute(forName: "errors")?.stringValue == "0")
        let cases = try root.nodes(forXPath: "//testcase")
        #expect(cases.count == 2)
        let failures = try root.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        #expect((failures.first as? XMLElement)?.attribute(forName: "message")?.stringValue == "expected proved, got refuted")
    }

    @Test func sarifHasRulesAndLocatedResults() throws {
        let specs = try SpecDirectory()
        let path = try wrongSpec(specs)
        let run = try BarproofRun.run(["prove", path, "--format", "sarif", "--proofs", specs.path("proofs")])
        #expect(run.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["version"] as? String == "2.1.0")
        #expect((json["$schema"] as? String)?.contains("sarif-2.1.0") == true)
        let sarifRun = try #require((json["runs"] as? [[String: Any]])?.first)
        let driver = try #require((sarifRun["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["page-exclusive", "msix-needs-filtering", "mmap-within-bar"])
        for rule in rules {
            #expect((rule["shortDescription"] as? [String: Any])?["text"] is String)
            #expect((rule["fullDescription"] as? [String: Any])?["text"] is String)
            #expect((rule["help"] as? [String: Any])?["text"] is String)
            #expect(Double((rule["properties"] as? [String: Any])?["security-severity"] as? String ?? "") != nil)
        }
        let results = try #require(sarifRun["results"] as? [[String: Any]])
        #expect(results.count == 1)
        let result = try #require(results.first)
        #expect(result["ruleId"] as? String == "msix-needs-filtering")
        #expect(result["level"] as? String == "error")
        let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        // The spec is outside the source root (the repository): an absolute file URI, without a base.
        #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String == "file://" + path)
        #expect((location["artifactLocation"] as? [String: Any])?["uriBaseId"] == nil)
        #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 5)
        #expect(((result["partialFingerprints"] as? [String: String])?["barproofCheck/v1"]?.count) == 64)
    }
}
