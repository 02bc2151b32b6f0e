import Foundation
import TestSupport
import Testing

/// The composite GitHub Action (`action.yml`) and the pre-commit hooks: every step the action runs
/// is a script of the repository, and the prove step, run here as GitHub runs it (its environment,
/// `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) against the barproof built beside the tests, writes
/// a valid SARIF log, the JUnit report, the outputs and a summary naming each check that did not
/// pass, and exits with prove's code. The install step needs the Debian package and root, so it is
/// checked only for what it runs (`make package-check` installs the same package).
@Suite(.timeLimit(.minutes(2)))
struct GitHubActionTests {
    static let action = BarproofRun.repository.appendingPathComponent("action.yml")

    /// The scripts the action's steps run (`"$GITHUB_ACTION_PATH/scripts/NAME"`).
    static func stepScripts() throws -> [String] {
        let text = try String(contentsOf: action, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init).filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("run:") }
        return lines.compactMap { line in
            guard let range = line.range(of: #"\$GITHUB_ACTION_PATH/scripts/[A-Za-z0-9._-]+"#, options: .regularExpression) else { return nil }
            return String(line[range].dropFirst("$GITHUB_ACTION_PATH/".count))
        }
    }

    @Test func everyStepRunsAScriptOfTheRepository() throws {
        let scripts = try Self.stepScripts()
        #expect(scripts == ["scripts/action-install.sh", "scripts/action-prove.sh"], "\(scripts)")
        for script in scripts {
            let path = BarproofRun.repository.appendingPathComponent(script).path
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(script) is not an executable file")
        }
        let text = try String(contentsOf: Self.action, encoding: .utf8)
        // Each input the prove script reads is passed to it.
        for variable in ["SPECS", "SARIF", "JUNIT", "ARGS", "BARPROOF", "PACKAGE"] {
            #expect(text.contains("\(variable): "), "action.yml does not set \(variable)")
        }
        let hooks = try String(contentsOf: BarproofRun.repository.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        #expect(hooks.contains("entry: barproof prove --require-records") && hooks.contains("language: system"))
    }

    func prove(in tree: SourceTree, specs: String) throws -> (run: ProgramRun, summary: String, outputs: String) {
        let summary = tree.path("summary.md"), outputs = tree.path("outputs")
        let run = try ProgramRun.run(
            program: URL(fileURLWithPath: "/bin/bash"),
            arguments: [BarproofRun.repository.appendingPathComponent("scripts/action-prove.sh").path],
            in: tree.url,
            environment: ["BARPROOF": BarproofRun.executable.path, "SPECS": specs, "SARIF": "out.sarif", "JUNIT": "out.xml",
                          "ARGS": "--srcroot .", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs],
            timeout: .seconds(90))
        #expect(!run.timedOut, "\(run.timeoutMessage)")
        return (run, (try? tree.read("summary.md")) ?? "", (try? tree.read("outputs")) ?? "")
    }

    @Test func theProveStepReportsFailingChecksAndExitsWithProvesCode() throws {
        let tree = try SourceTree()
        try tree.write("specs/tiny.yaml", CIFixtures.twoFailing)
        let (run, summary, outputs) = try prove(in: tree, specs: "specs")
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("unsafe"), "the text report goes to standard output: \(run.stdout)")
        #expect(outputs.contains("exit-code=1\n") && outputs.contains("sarif=out.sarif\n") && outputs.contains("junit=out.xml\n"), "\(outputs)")
        #expect(summary.contains("### barproof prove: exit 1"), "\(summary)")
        #expect(summary.contains("2 checks: 0 passed, 2 failed, 0 unknown"), "\(summary)")
        #expect(summary.contains("| tiny | unsafe | msix-needs-filtering | proved | refuted | fail |"), "\(summary)")
        #expect(summary.contains("| tiny | safe | msix-needs-filtering | refuted | proved | fail |"), "\(summary)")
        let sarif = try tree.read("out.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        #expect(try CIFixtures.results(try CIFixtures.firstRun(sarif)).count == 2)
        #expect(try tree.read("out.xml").contains("<testsuites"))
    }

    @Test func aBadSpecStillLeavesASARIFLogAndASummary() throws {
        let tree = try SourceTree()
        try tree.write("specs/broken.yaml", "policy: mainline\nchecks:\n  - name: x\n    invariant: no-such-invariant\n    expect: proved\n")
        let (run, summary, outputs) = try prove(in: tree, specs: "specs")
        #expect(run.status == 65, "\(run.stdout)\(run.stderr)")
        #expect(outputs.contains("exit-code=65\n"), "\(outputs)")
        #expect(summary.contains("The specs could not be read"), "\(summary)")
        let sarif = try tree.read("out.sarif")
        try CIFixtures.validate(sarif, in: tree.url)
        #expect(sarif.contains("no-such-invariant"), "\(sarif)")
    }
}
