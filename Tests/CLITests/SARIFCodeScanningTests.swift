import Foundation
import Testing

/// SARIF that GitHub code scanning places right: locations relative to the source root
/// (`uriBaseId` SRCROOT, `originalUriBaseIds`), one category per command and per host, and a valid
/// log that carries bad input as notifications at its place. Every log is validated against the
/// SARIF 2.1.0 schema.
///
/// Time limit: about ten runs of the binary, each under a second (the smallest specs), plus a
/// validator run per log: about 15 s on a loaded 2-core machine, hence 2 minutes.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SARIFCodeScanningTests {
    /// A spec named by its absolute path inside the source root still gets a relative URI; the
    /// root is written percent-encoded with its trailing slash; a spec outside the root keeps an
    /// absolute file URI without a base.
    @Test func locationsAreRelativeToTheSourceRoot() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        let run = try BarproofRun.run(["prove", spec, "--format", "sarif"], in: tree.url)
        #expect(run.status == 1, "\(run.stderr)")
        let sarif = try CIFixtures.firstRun(run.stdout)
        let results = try CIFixtures.results(sarif)
        #expect(results.count == 1)
        let artifact = try #require(results.first.flatMap(CIFixtures.artifact))
        #expect(artifact["uri"] as? String == "specs/tiny.yaml")
        #expect(artifact["uriBaseId"] as? String == "SRCROOT")
        let bases = try #require(sarif["originalUriBaseIds"] as? [String: [String: String]])
        let encoded = tree.path.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "#", with: "%23")
        #expect(bases["SRCROOT"]?["uri"] == "file://\(encoded)/")
        #expect(CIFixtures.automationID(sarif) == "barproof/prove/")
        try CIFixtures.validate(run.stdout, in: tree.url)

        // --srcroot elsewhere: the same spec is outside it.
        let elsewhere = try SourceTree()
        let outside = try BarproofRun.run(["prove", spec, "--format", "sarif", "--srcroot", elsewhere.path], in: tree.url)
        #expect(outside.status == 1, "\(outside.stderr)")
        let result = try CIFixtures.results(try CIFixtures.firstRun(outside.stdout)).first.unwrap()
        #expect(CIFixtures.artifact(result)?["uri"] as? String == "file://\(encoded)/specs/tiny.yaml")
        #expect(CIFixtures.artifact(result)?["uriBaseId"] == nil)
        try CIFixtures.validate(outside.stdout, in: tree.url)

        let missing = try BarproofRun.run(["prove", spec, "--format", "sarif", "--srcroot", tree.path("nowhere")], in: tree.url)
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
    }

    /// Bad specs with --format sarif: exit 65 as before, and standard output holds a valid SARIF
    /// log with one run, no results, an unsuccessful invocation and one error notification per
    /// problem at its line and column. With --sarif FILE the log goes to the file, atomically, and
    /// the other reports are not written.
    @Test func badSpecGivesAValidFailureLog() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/bad.yaml", """
            policy: mainline
            checks:
              - invariant: page-exclusiv
                expect: proved
                drop: [subpage-reservaton]
            """)
        let run = try BarproofRun.run(["prove", spec, "--format", "sarif"], in: tree.url)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("specs/bad.yaml:3:16: error: unknown invariant 'page-exclusiv'"), "\(run.stderr)")
        try CIFixtures.validate(run.stdout, in: tree.url)
        let runs = try CIFixtures.runs(run.stdout)
        #expect(runs.count == 1)
        let sarif = try #require(runs.first)
        #expect(try CIFixtures.results(sarif).isEmpty)
        #expect(CIFixtures.automationID(sarif) == "barproof/prove/")
        let invocation = try #require((sarif["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        #expect(invocation["exitCode"] as? Int == 65)
        let notifications = try #require(invocation["toolExecutionNotifications"] as? [[String: Any]])
        #expect(notifications.count == 2)
        let places = notifications.map { n -> String in
            let location = (n["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
            let uri = (location?["artifactLocation"] as? [String: Any])?["uri"] as? String ?? "?"
            let region = location?["region"] as? [String: Any]
            return "\(n["level"] as? String ?? "?") \(uri):\(region?["startLine"] as? Int ?? 0):\(region?["startColumn"] as? Int ?? 0)"
        }
        #expect(places == ["error specs/bad.yaml:3:16", "error specs/bad.yaml:5:12"])
        let messages = notifications.compactMap { ($0["message"] as? [String: Any])?["text"] as? String }
        #expect(messages.first == "unknown invariant 'page-exclusiv'; did you mean 'page-exclusive'?")

        // To a file: the previous log replaced whole, the JSON report not written.
        try tree.write("old.sarif", "previous\n")
        let toFile = try BarproofRun.run(["prove", spec, "--sarif", "old.sarif", "--format", "json", "--output", "report.json"], in: tree.url)
        #expect(toFile.status == 65, "\(toFile.stderr)")
        #expect(toFile.stdout.isEmpty)
        #expect(toFile.stderr.contains("the SARIF log of the failure went to old.sarif"), "\(toFile.stderr)")
        #expect(!tree.exists("report.json"))
        #expect(try tree.leftovers().isEmpty)
        let log = try tree.read("old.sarif")
        try CIFixtures.validate(log, in: tree.url)
        #expect(try CIFixtures.results(try CIFixtures.firstRun(log)).isEmpty)
    }

    /// The audit's bad input (a snapshot of a schema version barproof does not read) is a failure
    /// log too, in the audited host's category.
    @Test func auditBadInputGivesAValidFailureLog() throws {
        let tree = try SourceTree()
        try FileManager.default.createDirectory(at: tree.url.appendingPathComponent("hosts"), withIntermediateDirectories: true)
        try tree.write("hosts/broken.json", "{\n  \"schema\": \"barproof-snapshot\",\n  \"schema_version\": 7\n}\n")
        let run = try BarproofRun.run(["audit", "hosts/broken.json", "--format", "sarif"], in: tree.url)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("hosts/broken.json:2:13: schema barproof-snapshot version 7"), "\(run.stderr)")
        try CIFixtures.validate(run.stdout, in: tree.url)
        let sarif = try CIFixtures.firstRun(run.stdout)
        #expect(CIFixtures.automationID(sarif) == "barproof/audit/hosts/broken.json/")
        let invocation = try #require((sarif["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        let notification = try #require((invocation["toolExecutionNotifications"] as? [[String: Any]])?.first)
        let location = (notification["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
        #expect((location?["artifactLocation"] as? [String: Any])?["uri"] as? String == "hosts/broken.json")
        #expect((location?["region"] as? [String: Any])?["startLine"] as? Int == 2)
        #expect((location?["region"] as? [String: Any])?["startColumn"] as? Int == 13)
    }

    /// prove and audit runs have categories of their own, the audit's per host; the audit's
    /// rules tell what to do with an audit finding, not to run `barproof explain SPEC CHECK`; an
    /// audit result points into its snapshot file, at its device's `resource`.
    @Test func proveAndAuditRunsAreDistinct() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        try FileManager.default.copyItem(atPath: CIFixtures.devVM, toPath: tree.path("dev-vm.json"))
        let prove = try BarproofRun.run(["prove", spec, "--format", "sarif"], in: tree.url)
        let audit = try BarproofRun.run(["audit", "dev-vm.json", "--format", "sarif"] + CIFixtures.devVMViolating, in: tree.url)
        #expect(prove.status == 1, "\(prove.stderr)")
        #expect(audit.status == 1, "\(audit.stderr)")
        try CIFixtures.validate(prove.stdout, in: tree.url)
        try CIFixtures.validate(audit.stdout, in: tree.url)
        let proveRun = try CIFixtures.firstRun(prove.stdout)
        let auditRun = try CIFixtures.firstRun(audit.stdout)
        #expect(CIFixtures.automationID(proveRun) == "barproof/prove/")
        #expect(CIFixtures.automationID(auditRun) == "barproof/audit/dev-vm.json/")

        func helps(_ run: [String: Any]) -> [String] {
            let driver = (run["tool"] as? [String: Any])?["driver"] as? [String: Any]
            return (driver?["rules"] as? [[String: Any]] ?? []).compactMap { ($0["help"] as? [String: Any])?["text"] as? String }
        }
        #expect(helps(proveRun).count == 3 && helps(proveRun).allSatisfy { $0.contains("barproof explain SPEC CHECK") })
        #expect(helps(auditRun).count == 3 && helps(auditRun).allSatisfy { !$0.contains("explain") && $0.contains("barproof audit") })

        let results = try CIFixtures.results(auditRun)
        #expect(results.count == 5)
        let snapshot = try tree.read("dev-vm.json").split(separator: "\n", omittingEmptySubsequences: false)
        for result in results {
            #expect(CIFixtures.artifact(result)?["uri"] as? String == "dev-vm.json")
            #expect(CIFixtures.artifact(result)?["uriBaseId"] as? String == "SRCROOT")
            let region = (result["locations"] as? [[String: Any]])?.first.flatMap { ($0["physicalLocation"] as? [String: Any])?["region"] as? [String: Any] }
            let line = try #require(region?["startLine"] as? Int)
            #expect(snapshot[line - 1].contains("\"resource\""), "line \(line): \(snapshot[line - 1])")
            #expect((result["properties"] as? [String: String])?["resourceFile"]?.hasSuffix("/resource") == true)
        }
    }

    /// GitHub rejects a file of more than 20 runs: a fleet of 21 hosts with SARIF is refused
    /// before anything is audited; without SARIF it is not.
    @Test func moreHostsThanRunsIsAUsageError() throws {
        let tree = try SourceTree()
        var paths: [String] = []
        for i in 0..<21 {
            let path = tree.path("host-\(i).json")
            try FileManager.default.copyItem(atPath: CIFixtures.devVM, toPath: path)
            paths.append(path)
        }
        let refused = try BarproofRun.run(["audit", "--format", "sarif"] + paths, in: tree.url)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("at most 20 runs"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        let twice = try BarproofRun.run(["audit", "--sarif", "out.sarif", paths[0], "./host-0.json"], in: tree.url)
        #expect(twice.status == 64, "\(twice.stderr)")
        #expect(!tree.exists("out.sarif"))
        let text = try BarproofRun.run(["audit"] + paths, in: tree.url)
        #expect(text.status == 1, "\(text.stderr)") // allow_unsafe_interrupts is not read: evaluated both ways, and Y violates
        #expect(text.stdout.contains("barproof audit: 21 hosts"))
    }
}
