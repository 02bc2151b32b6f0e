import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Several reports from one run (`--sarif`, `--junit`, `--json` beside the text), `--check`,
/// suppressions and baselines, for `prove` and `audit`. Every SARIF log is validated against the
/// SARIF 2.1.0 schema and every JSON report against its schema in `schemas/`.
///
/// Time limit: about twenty runs of the binary on the smallest specs and the dev VM's snapshot,
/// each under a second, and a validator run per document: about 30 s on a loaded 2-core
/// machine, hence 3 minutes.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CIOutputTests {
    static let suppression = """
        # accepted findings
        - check: tiny/unsafe
          justification: "this fleet never sets allow_unsafe_interrupts"
          expires: EXPIRES
        - audit: {device: "0000:00:01.0", bar: 0, invariant: msix-needs-filtering}
          justification: lab VM, not passed through
        """

    /// One prove run writes the text (stdout), SARIF, JUnit and JSON reports; the failing check
    /// the default suppressions file names is reported as suppressed in each, and the run exits 0.
    @Test func oneRunWritesEveryReportAndASuppressionExcuses() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        try tree.write("barproof-suppressions.yaml", Self.suppression.replacingOccurrences(of: "EXPIRES", with: "2999-12-31"))
        try FileManager.default.createDirectory(at: tree.url.appendingPathComponent("out"), withIntermediateDirectories: true)
        let run = try BarproofRun.run(["prove", spec, "--sarif", "out/report.sarif", "--junit", "out/report.xml", "--json", "out/report.json"],
                                      in: tree.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("SUPPRESSED  tiny/unsafe"), "\(run.stdout)")
        #expect(run.stdout.contains("PASS        tiny/safe"), "\(run.stdout)")
        #expect(run.stdout.contains("suppressed by \(tree.path)/barproof-suppressions.yaml:2: this fleet never sets allow_unsafe_interrupts (expires 2999-12-31)"),
                "\(run.stdout)")
        #expect(run.stdout.contains("2 checks: 1 as expected, 1 failed, 0 unknown; not counted: 1 suppressed"), "\(run.stdout)")

        let sarif = try tree.read("out/report.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        let result = try CIFixtures.results(try CIFixtures.firstRun(sarif)).first.unwrap()
        let suppressions = try #require(result["suppressions"] as? [[String: Any]])
        #expect(suppressions.count == 1)
        #expect(suppressions.first?["kind"] as? String == "external")
        #expect(suppressions.first?["justification"] as? String == "this fleet never sets allow_unsafe_interrupts")
        #expect(result["baselineState"] == nil)

        let xml = try XMLDocument(data: Data(try tree.read("out/report.xml").utf8))
        let root = try #require(xml.rootElement())
        #expect(root.attribute(forName: "failures")?.stringValue == "0")
        #expect(root.attribute(forName: "skipped")?.stringValue == "1")
        let skipped = try #require(try root.nodes(forXPath: "//testcase[@name='unsafe']/skipped").first as? XMLElement)
        #expect(skipped.attribute(forName: "message")?.stringValue == "suppressed: this fleet never sets allow_unsafe_interrupts (expires 2999-12-31)")
        #expect(skipped.stringValue?.contains("expected proved, got refuted") == true)
        #expect(try root.nodes(forXPath: "//failure").isEmpty)

        let json = try tree.read("out/report.json")
        try CIFixtures.validate(json, schema: "barproof-prove", in: tree.url)
        let document = try CIFixtures.json(json)
        #expect(document["status"] as? String == "pass")
        let checks = try #require(document["checks"] as? [[String: Any]])
        let unsafe = try #require(checks.first { $0["check"] as? String == "unsafe" })
        #expect(unsafe["status"] as? String == "fail")
        #expect((unsafe["suppressed"] as? [String: Any])?["justification"] as? String == "this fleet never sets allow_unsafe_interrupts")
        #expect((unsafe["suppressed"] as? [String: Any])?["line"] as? Int == 2)
        #expect((document["summary"] as? [String: Any])?["suppressed"] as? Int == 1)
        #expect(checks.first { $0["check"] as? String == "safe" }?["suppressed"] == nil)
        #expect(try tree.leftovers().isEmpty)
    }

    /// An expired entry suppresses nothing, and stderr says so: the check fails the run again.
    @Test func anExpiredSuppressionFails() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        let file = try tree.write("supp.yaml", Self.suppression.replacingOccurrences(of: "EXPIRES", with: "2001-01-01"))
        let run = try BarproofRun.run(["prove", spec, "--suppressions", file, "--sarif", "out.sarif"], in: tree.url)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("warning: \(file):2:3: the suppression of check tiny/unsafe expired on 2001-01-01; it suppresses nothing"),
                "\(run.stderr)")
        #expect(run.stdout.contains("FAIL  tiny/unsafe"), "\(run.stdout)")
        let sarif = try tree.read("out.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        let run0 = try CIFixtures.firstRun(sarif)
        let result = try CIFixtures.results(run0).first.unwrap()
        #expect(result["suppressions"] == nil)
        // Code scanning is told too: a warning at the entry.
        let invocation = try ((run0["invocations"] as? [[String: Any]])?.first).unwrap()
        let notice = try ((invocation["toolExecutionNotifications"] as? [[String: Any]])?.first).unwrap()
        #expect(notice["level"] as? String == "warning")
        let region = ((notice["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
        #expect(region?["startLine"] as? Int == 2)
        #expect(invocation["executionSuccessful"] as? Bool == true)
    }

    /// A baseline of an earlier run hides the failures it had and not new ones: `unsafe` failed
    /// in it (`--check unsafe`), `safe` did not run there, so it is new.
    @Test func aBaselineHidesOldFailuresAndNotNewOnes() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.twoFailing)
        let before = try BarproofRun.run(["prove", spec, "--check", "unsafe", "--format", "json", "--output", "baseline.json"], in: tree.url)
        #expect(before.status == 1, "\(before.stderr)")
        #expect(!(try tree.read("baseline.json")).contains("\"safe\""))

        let run = try BarproofRun.run(["prove", spec, "--baseline", "baseline.json", "--sarif", "out.sarif", "--json", "out.json"], in: tree.url)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("BASELINE  tiny/unsafe"), "\(run.stdout)")
        #expect(run.stdout.contains("FAIL      tiny/safe"), "\(run.stdout)")
        #expect(run.stdout.contains("new: not in the baseline"), "\(run.stdout)")
        let sarif = try tree.read("out.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        let results = try CIFixtures.results(try CIFixtures.firstRun(sarif))
        let states = Dictionary(uniqueKeysWithValues: results.map {
            (($0["properties"] as? [String: String])?["check"] ?? "?", $0["baselineState"] as? String ?? "none")
        })
        #expect(states == ["unsafe": "unchanged", "safe": "new"])
        let json = try tree.read("out.json")
        try CIFixtures.validate(json, schema: "barproof-prove", in: tree.url)
        let checks = try #require(try CIFixtures.json(json)["checks"] as? [[String: Any]])
        #expect(checks.map { $0["baseline_state"] as? String } == ["unchanged", "new"])

        // Only the old failure: exit 0.
        let old = try BarproofRun.run(["prove", spec, "--check", "tiny/unsafe", "--baseline", "baseline.json"], in: tree.url)
        #expect(old.status == 0, "\(old.stdout)\(old.stderr)")
        #expect(old.stdout.contains("not counted: 1 in the baseline"), "\(old.stdout)")

        // A baseline of another schema is bad input at its `schema`.
        let wrong = try BarproofRun.run(["prove", spec, "--baseline", "out.sarif"], in: tree.url)
        #expect(wrong.status == 65, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("out.sarif:1:1: error: not a barproof report: missing key 'schema'"), "\(wrong.stderr)")
        try FileManager.default.copyItem(atPath: CIFixtures.devVM, toPath: tree.path("snapshot.json"))
        let snapshot = try BarproofRun.run(["prove", spec, "--baseline", "snapshot.json"], in: tree.url)
        #expect(snapshot.status == 65, "\(snapshot.stderr)")
        #expect(snapshot.stderr.contains("snapshot.json:56:14: error: schema barproof-snapshot/1; --baseline takes a barproof-prove version 1 report"),
                "\(snapshot.stderr)")
    }

    /// A format named twice, one file for two reports, an unknown check: usage errors (64),
    /// nothing written; an unknown check names the closest one.
    @Test func conflictingOutputsAndUnknownChecksAreUsageErrors() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        for arguments in [["--format", "sarif", "--sarif", "a.sarif"], ["--format", "junit", "--junit", "a.xml"],
                          ["--output", "same", "--json", "./same"], ["--sarif", "same", "--junit", "same"]] {
            let run = try BarproofRun.run(["prove", spec] + arguments, in: tree.url)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let audit = try BarproofRun.run(["audit", CIFixtures.devVM, "--format", "json", "--json", "a.json"], in: tree.url)
        #expect(audit.status == 64, "\(audit.stderr)")
        #expect(audit.stderr.contains("--json FILE and --format json both ask for the JSON report"), "\(audit.stderr)")
        let unknown = try BarproofRun.run(["prove", spec, "--check", "unsaf"], in: tree.url)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--check unsaf: no such check in the specs given; did you mean 'unsafe'?"), "\(unknown.stderr)")
        let qualified = try BarproofRun.run(["prove", spec, "--check", "tiny/saf"], in: tree.url)
        #expect(qualified.status == 64)
        #expect(qualified.stderr.contains("did you mean 'tiny/safe'?"), "\(qualified.stderr)")
        let recording = try BarproofRun.run(["prove", spec, "--check", "safe", "--record", "--proofs", tree.path("proofs")], in: tree.url)
        #expect(recording.status == 64, "\(recording.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path).sorted() == [".git", "specs"])
    }

    /// A malformed suppressions file is bad input at its lines: exit 65, no report written (the
    /// SARIF log of the failure, where one is asked for, points at the entry).
    @Test func aMalformedSuppressionsFileIsBadInput() throws {
        let tree = try SourceTree()
        let spec = try tree.write("specs/tiny.yaml", CIFixtures.oneFailing)
        try tree.write("barproof-suppressions.yaml", """
            - check: tiny/unsafe
              expires: 2030-02-30
            - check: tiny/unsfe
              justification: typo
            - audit: {device: "0000:00:01.0", bar: 9, invariant: page-exclusive}
              justification: x
            """)
        let run = try BarproofRun.run(["prove", spec, "--json", "out.json", "--sarif", "out.sarif"], in: tree.url)
        #expect(run.status == 65, "\(run.stderr)")
        let file = tree.path("barproof-suppressions.yaml")
        for expected in ["\(file):1:3: error: missing key 'justification'", "\(file):2:12: error: 'expires' must be a date YYYY-MM-DD, found '2030-02-30'",
                         "\(file):3:10: error: spec tiny has no check 'unsfe'; did you mean 'unsafe'?",
                         "\(file):5:40: error: 'bar' must be a BAR index 0-5, found '9'"] {
            #expect(run.stderr.contains(expected), "\(expected)\n\(run.stderr)")
        }
        #expect(!tree.exists("out.json"))
        let sarif = try tree.read("out.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        let invocation = try #require((try CIFixtures.firstRun(sarif)["invocations"] as? [[String: Any]])?.first)
        #expect((invocation["toolExecutionNotifications"] as? [[String: Any]])?.count == 4)
    }

    /// The audit: --sarif and --json beside the text; a baseline of its own JSON report hides its
    /// five findings (exit 0, all `unchanged`); a suppression excuses one finding, marked in the
    /// text, carried in SARIF and JSON, and the other four still fail the run.
    @Test func auditSuppressionsAndBaseline() throws {
        let tree = try SourceTree()
        try FileManager.default.copyItem(atPath: CIFixtures.devVM, toPath: tree.path("dev-vm.json"))
        let arguments = ["audit", "dev-vm.json"] + CIFixtures.devVMViolating
        let base = try BarproofRun.run(arguments + ["--json", "baseline.json"], in: tree.url)
        #expect(base.status == 1, "\(base.stderr)")
        #expect(base.stdout.contains("5 invariant violations"), "\(base.stdout)")

        let known = try BarproofRun.run(arguments + ["--baseline", "baseline.json", "--sarif", "known.sarif", "--json", "known.json"], in: tree.url)
        #expect(known.status == 0, "\(known.stdout)\(known.stderr)")
        #expect(known.stdout.contains("5 invariant violations (not counted: 5 in the baseline)"), "\(known.stdout)")
        #expect(known.stdout.contains("msix-needs-filtering (in the baseline)"), "\(known.stdout)")
        let sarif = try tree.read("known.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        #expect(try CIFixtures.results(try CIFixtures.firstRun(sarif)).map { $0["baselineState"] as? String }
                == Array(repeating: "unchanged", count: 5))
        let json = try tree.read("known.json")
        try CIFixtures.validate(json, schema: "barproof-audit", in: tree.url)
        let document = try CIFixtures.json(json)
        #expect(document["exit_code"] as? Int == 0)
        #expect(document["status"] as? String == "clean")
        #expect(document["violation_count"] as? Int == 5)
        #expect(document["baseline_unchanged_count"] as? Int == 5)

        try tree.write("barproof-suppressions.yaml", Self.suppression.replacingOccurrences(of: "EXPIRES", with: "2999-12-31"))
        let suppressed = try BarproofRun.run(arguments + ["--sarif", "s.sarif", "--json", "s.json"], in: tree.url)
        #expect(suppressed.status == 1, "\(suppressed.stdout)\(suppressed.stderr)")
        #expect(suppressed.stdout.contains("5 invariant violations (not counted: 1 suppressed)"), "\(suppressed.stdout)")
        #expect(suppressed.stdout.contains("BAR 0 msix-needs-filtering suppressed by \(tree.path)/barproof-suppressions.yaml:5: lab VM, not passed through"),
                "\(suppressed.stdout)")
        let log = try tree.read("s.sarif")
        try CIFixtures.validate(log, in: tree.url)
        let results = try CIFixtures.results(try CIFixtures.firstRun(log))
        let excused = results.filter { $0["suppressions"] != nil }
        #expect(excused.count == 1)
        #expect((excused.first?["properties"] as? [String: String])?["device"] == "0000:00:01.0")
        let report = try tree.read("s.json")
        try CIFixtures.validate(report, schema: "barproof-audit", in: tree.url)
        let audited = try CIFixtures.json(report)
        #expect(audited["suppressed_count"] as? Int == 1)
        #expect(audited["exit_code"] as? Int == 1)
        let bars = (audited["devices"] as? [[String: Any]] ?? []).flatMap { ($0["bars"] as? [[String: Any]]) ?? [] }
        #expect(bars.compactMap { ($0["suppressed"] as? [[String: Any]])?.first?["justification"] as? String } == ["lab VM, not passed through"])
    }
}
