import Foundation
import TestSupport
import Testing

/// Every command a fixture README gives, run as written in the fixture's folder, as a reader
/// who copied the folder would: `barproof` and `umockdev-run` on PATH, nothing else from the
/// repository. Each command's outcome is the one the README states (both audits and the umockdev
/// audit exit 1 with the violation, the search finds it again, the umockdev reads give the
/// fixture's own files); a command this test does not know fails it, so a new README line comes
/// with its check. Written with 13 and with 7 `resource` lines (`--resource-lines`).
///
/// Time limit: one small search with --out, then six commands (one more search), about 10 s on a
/// loaded 2-core machine per resource layout; 3 minutes.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FixtureReadmeCommandTests {
    @Test(arguments: ["13", "7"]) func readmeCommandsRunInTheFixtureFolder(resourceLines: String) throws {
        let specs = try SpecDirectory()
        let path = try specs.write("small", SearchCommandTests.spec)
        let out = specs.path("fixtures")
        let search = try BarproofRun.run(["search", path, "--check", "without-reservation", "--minimize", "--out", out,
                                          "--resource-lines", resourceLines])
        try #require(search.status == 0, "\(search.stderr)")
        let folder = URL(fileURLWithPath: out + "/small-without-reservation-1")
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("Both audits exit 1"), "the README should say what its audits do")
        #expect(readme.contains("```text\npage 0x"), "the README should hold the page map")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("small.yaml").path), "the spec copy")
        let resource = try String(contentsOf: folder.appendingPathComponent("sys/bus/pci/devices/0000:00:01.0/resource"), encoding: .utf8)
        #expect(resource.split(separator: "\n").count == Int(resourceLines), "\(resource)")

        let commands = Self.shellBlocks(readme)
        #expect(commands.count == 6, "\(commands)")
        guard let umockdev = Self.onPath("umockdev-run") else {
            Issue.record("umockdev-run is not installed (make test installs it: scripts/ensure-deps.sh)")
            return
        }
        let binDirectory = BarproofRun.executable.deletingLastPathComponent().path
        let environment = ["PATH": "\(binDirectory):\(umockdev.deletingLastPathComponent().path):/usr/bin:/bin"]
        for command in commands {
            let run = try ProgramRun.run(program: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", command], in: folder,
                                         environment: environment, timeout: .seconds(60))
            #expect(!run.timedOut, "\(command): \(run.timeoutMessage)")
            let said = "\(command)\nexit \(run.status)\n\(run.stdout)\n\(run.stderr)"
            if command.hasPrefix("barproof audit ") || command.contains("exec barproof audit ") {
                #expect(run.status == 1, "\(said)")
                #expect(run.stdout.contains("0000:00:01.0") && run.stdout.contains("page-exclusive"), "\(said)")
            } else if command.hasPrefix("barproof search small.yaml ") {
                #expect(run.status == 0, "\(said)")
                #expect(run.stdout.contains("1 counterexample(s), as expected"), "\(said)")
            } else if command.hasPrefix("umockdev-run ") && command.hasSuffix("/resource") {
                #expect(run.status == 0, "\(said)")
                #expect(run.stdout == resource, "\(said)")
            } else if command.hasPrefix("umockdev-run ") && command.contains(" readlink -f /sys/bus/pci/devices/") {
                #expect(run.status == 0, "\(said)")
                #expect(run.stdout.hasPrefix("/sys/devices/pci0000:00/0000:00:01.0"), "\(said)")
            } else {
                Issue.record("a README command this test does not check: \(command)")
            }
        }
    }

    /// The lines of every ```sh block.
    static func shellBlocks(_ markdown: String) -> [String] {
        var commands: [String] = [], inside = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "```sh" { inside = true } else if line.hasPrefix("```") { inside = false } else if inside, !line.isEmpty {
                commands.append(String(line))
            }
        }
        return commands
    }

    static func onPath(_ name: String) -> URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
