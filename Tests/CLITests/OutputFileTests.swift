import Foundation
import Testing

/// Report files are written whole or not at all, keep an existing file's mode, never follow a
/// planted name, and an output that cannot be written is a plain error (exit 73).
@Suite("Output files", .timeLimit(.minutes(2)))
struct OutputFileTests {
    @Test("an existing report keeps its mode; a symlink at the path is replaced, its target untouched")
    func modeKeptAndLinksNotFollowed() throws {
        let folder = try SpecDirectory()
        let report = folder.path("report.txt")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: report))
        chmod(report, 0o640)
        let run = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--output", report])
        #expect(run.status == 0, "\(run.stderr)")
        var info = stat()
        stat(report, &info)
        #expect(info.st_mode & 0o777 == 0o640, "mode became \(String(info.st_mode & 0o777, radix: 8))")
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("legacy/page-exclusive"))

        let secret = folder.path("secret")
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: secret))
        let link = folder.path("linked.txt")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: secret)
        let linked = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--output", link])
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "secret\n", "the link's target was overwritten")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil, "the link was left in place")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("--output naming a folder is exit 73 with the path and the reason, and nothing is written")
    func outputIsAFolder() throws {
        let folder = try SpecDirectory()
        let run = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--output", folder.url.path])
        #expect(run.status == 73, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("cannot write \(folder.url.path): it is a directory"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0 != "proofs" }.isEmpty)
    }
}
