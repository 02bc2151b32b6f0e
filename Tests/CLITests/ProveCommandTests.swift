import Foundation
import Testing

/// End-to-end: the built binary's stdout and exit code for the situations CI depends on.
/// Serialized: the machine has two cores and the solver uses them.
///
/// Time limit: each test runs `barproof prove` once or a few times, the slowest test 3 s on a loaded
/// 2-core machine.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ProveCommandTests {
    /// Fast checks (each well under a second) for the tests that are not about the shipped specs.
    static let fastSpec = """
        policy: mainline
        platform:
          page_sizes: [4K]
        checks:
          - name: unsafe
            invariant: msix-needs-filtering
            platform:
              msi_isolated: no
              allow_unsafe_interrupts: yes
            expect: refuted
          - name: safe
            invariant: msix-needs-filtering
            platform:
              allow_unsafe_interrupts: no
              backends: [type1, iommufd]
            expect: proved
        """

    @Test func shippedSpecsAreAsExpected() throws {
        let run = try BarproofRun.run(["prove", "Specs", "--jobs", "2"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("13 checks: 13 as expected, 0 failed, 0 unknown"))
        #expect(run.stdout.contains("PASS  mainline/page-exclusive-without-reservation"))
        #expect(!run.stdout.contains("FAIL"))
    }

    /// Contexts are lent again (`ContextLease`): a `prove` of the shipped specs made 86 before, one
    /// or more per check that reaches the solver; now as many as are in use at once.
    @Test func statisticsCountContextsLentAgain() throws {
        let run = try BarproofRun.run(["prove", "Specs", "--jobs", "2", "--quiet", "--statistics"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let line = try #require(run.stderr.split(separator: "\n").first { $0.hasPrefix("statistics: ") && $0.contains("Z3 contexts made") },
                                "no statistics line in: \(run.stderr)")
        let made = try #require(Int(line.split(separator: " ")[1]), "\(line)")
        #expect((1...8).contains(made), "\(line)")
        #expect(run.stderr.contains("statistics: process CPU "), "\(run.stderr)")
        #expect(!run.stdout.contains("statistics:"), "statistics go to standard error only")
    }

    @Test func wrongExpectationExitsOne() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("wrong", Self.fastSpec.replacingOccurrences(of: "expect: refuted", with: "expect: proved"))
        let run = try BarproofRun.run(["prove", path, "--proofs", specs.path("proofs")])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL"))
        #expect(run.stdout.contains("\(path):5:5: expected proved, got refuted"))
        #expect(run.stdout.contains("counterexample: "))
        #expect(run.stdout.contains("2 checks: 1 as expected, 1 failed, 0 unknown"))
    }

    @Test func timeoutIsUnknownNeverAPass() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("slow", """
            policy: rfc-v4
            platform: {page_sizes: [64K]}
            checks:
              - {invariant: page-exclusive, expect: proved}
            """)
        let run = try BarproofRun.run(["prove", path, "--timeout-ms", "1", "--proofs", specs.path("proofs")])
        #expect(run.status == 2)
        #expect(run.stdout.contains("UNKNOWN  slow/page-exclusive  page-exclusive  unknown"))
        #expect(run.stdout.contains("1 checks: 0 as expected, 0 failed, 1 unknown"))
    }

    @Test func malformedSpecExits65WithPlace() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("bad", """
            policy: mainline
            checks:
              - invariant: page-exclusiv
                expect: proved
                drop: [subpage-reservaton]
            """)
        let output = specs.path("report.json")
        let run = try BarproofRun.run(["prove", path, "--format", "json", "--output", output])
        #expect(run.status == 65)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("\(path):3:16: error: unknown invariant 'page-exclusiv'; did you mean 'page-exclusive'?"))
        #expect(run.stderr.contains("\(path):5:12: error: policy mainline has no clause 'subpage-reservaton'; did you mean 'subpage-reservation'?"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func unknownKeyAndInvalidYAMLExit65() throws {
        let specs = try SpecDirectory()
        let typo = try specs.write("typo", "policy: legacy\nplatfrom: {}\nchecks: [{invariant: mmap-within-bar, expect: proved}]\n")
        let typoRun = try BarproofRun.run(["prove", typo])
        #expect(typoRun.status == 65)
        #expect(typoRun.stderr.contains("\(typo):2:1: error: unknown key 'platfrom' in the spec; did you mean 'platform'?"))

        let broken = try specs.write("broken", "policy: legacy\nchecks: [\n")
        let brokenRun = try BarproofRun.run(["prove", broken])
        #expect(brokenRun.status == 65)
        #expect(brokenRun.stderr.contains("\(broken):3:1: error: not valid YAML"))
    }

    @Test func badFlagExits64() throws {
        let run = try BarproofRun.run(["prove", "--no-such-flag"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("Unknown option '--no-such-flag'"))
        #expect(try BarproofRun.run(["prove", "--jobs", "0"]).status == 64)
        #expect(try BarproofRun.run(["prove", "--format", "xml"]).status == 64)
        #expect(try BarproofRun.run(["prove", "no/such/dir"]).status == 64)
        #expect(try BarproofRun.run(["explain", "mainline", "page-exclusiv"]).status == 64)
    }

    @Test func versionNamesZ3() throws {
        let run = try BarproofRun.run(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("barproof 0.1.0 (Z3 4."))
    }

    @Test func jsonIsDeterministicApartFromTiming() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("fast", Self.fastSpec)
        func stripped() throws -> String {
            let run = try BarproofRun.run(["prove", path, "--format", "json", "--jobs", "2", "--proofs", specs.path("proofs")])
            #expect(run.status == 0)
            return run.stdout.split(separator: "\n").filter { !$0.contains("\"seconds\"") && !$0.contains("\"total_seconds\"") }
                .joined(separator: "\n")
        }
        let first = try stripped()
        #expect(first.contains("\"schema\" : \"barproof-prove\""))
        #expect(first.contains("\"verdict\" : \"refuted\""))
        #expect(try stripped() == first)
    }

    @Test func outputFileAndRecordedProofDrift() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("fast", Self.fastSpec)
        let proofs = specs.path("proofs")
        let recorded = try BarproofRun.run(["prove", path, "--record", "--proofs", proofs])
        #expect(recorded.status == 0)
        let record = proofs + "/fast/safe.json"
        let text = try String(contentsOfFile: record, encoding: .utf8)
        #expect(text.contains("\"dependencies\" : ["))
        #expect(text.contains("\"check_sha256\""))
        #expect(!text.contains("seconds"))
        #expect(FileManager.default.fileExists(atPath: proofs + "/fast/safe.4k-case0.smt2"))

        let report = specs.path("out/report.txt")
        let clean = try BarproofRun.run(["prove", path, "--proofs", proofs, "--output", report])
        #expect(clean.status == 0)
        #expect(clean.stdout.isEmpty)
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("2 checks: 2 as expected"))

        // A recorded proof that no longer holds: the record says a clause was needed that the
        // fresh proof does not use, and that the check was refuted.
        let tampered = text.replacingOccurrences(of: "\"verdict\" : \"proved\"", with: "\"verdict\" : \"refuted\"")
        try Data(tampered.utf8).write(to: URL(fileURLWithPath: record))
        let drift = try BarproofRun.run(["prove", path, "--proofs", proofs])
        #expect(drift.status == 1)
        #expect(drift.stdout.contains("drift: fast/safe no longer matches its recorded proof \(record)"))
        #expect(drift.stdout.contains("- verdict: refuted"))
        #expect(drift.stdout.contains("+ verdict: proved"))
        #expect(drift.stdout.contains("(1 drifted from their records)"))
    }

    /// Editing a clause: the recorded proof of `safe` depends on `mainline.attach-isolated-msi`;
    /// the same spec with that clause dropped no longer proves it, and `prove` says so, naming the
    /// check, against the expectation and against the record.
    @Test func droppingAClauseTheProofDependsOnIsDrift() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("fast", Self.fastSpec)
        let proofs = specs.path("proofs")
        #expect(try BarproofRun.run(["prove", path, "--record", "--proofs", proofs]).status == 0)
        let record = try String(contentsOfFile: proofs + "/fast/safe.json", encoding: .utf8)
        #expect(record.contains("mainline.attach-isolated-msi"))

        let edited = Self.fastSpec.replacingOccurrences(
            of: "  - name: safe\n    invariant: msix-needs-filtering\n",
            with: "  - name: safe\n    invariant: msix-needs-filtering\n    drop: [attach-isolated-msi]\n")
        #expect(edited != Self.fastSpec)
        _ = try specs.write("fast", edited)
        let run = try BarproofRun.run(["prove", path, "--proofs", proofs])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("expected proved, got refuted"))
        #expect(run.stdout.contains("drift: fast/safe no longer matches its recorded proof"))
        #expect(run.stdout.contains("+ verdict: refuted"))
    }
}
