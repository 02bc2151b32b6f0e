import Foundation
import Testing

/// Report files are written whole or not at all, keep an existing file's mode, never follow a
/// planted name, and an output that cannot be written is a plain error (exit 73 or 74). Outputs of
/// several files (export-smt2, fixture folders) are all or nothing; what holds config space is
/// the owner's only.
@Suite("Output files", .serialized, .timeLimit(.minutes(3)))
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

    // MARK: - All or nothing

    /// Every file of a folder, by relative path, with its bytes; hidden ones included.
    static func contents(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in FileManager.default.enumerator(atPath: folder)?.compactMap({ $0 as? String }) ?? [] {
            var isDirectory: ObjCBool = false
            let path = folder + "/" + name
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return out
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        lstat(path, &info)
        return info.st_mode & 0o7777
    }

    @Test("export-smt2 with a directory where its last file goes: exit 73 naming it, and not one file written")
    func exportStopsBeforeWritingAnything() throws {
        let folder = try SpecDirectory()
        let out = folder.path("queries")
        try FileManager.default.createDirectory(atPath: out + "/mmap-within-bar.64k-case1.smt2", withIntermediateDirectories: true)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: out + "/page-exclusive.4k-case0.smt2"))
        let before = try Self.contents(out)
        let run = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", out])
        #expect(run.status == 73, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("cannot write \(out)/mmap-within-bar.64k-case1.smt2: it is a directory"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "files were listed as written: \(run.stdout)")
        #expect(try Self.contents(out) == before, "files were written: \((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])")
    }

    @Test("export-smt2 failing midway (a file size limit: some queries fit, larger ones do not): exit 74, the old files as they were, nothing else written")
    func exportFailingMidwayChangesNothing() throws {
        let folder = try SpecDirectory()
        let out = folder.path("queries")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: out + "/page-exclusive.4k-case0.smt2"))
        let before = try Self.contents(out)
        // A file size limit between the smallest and the largest query, so that some fit and the
        // others do not (the sizes are measured from an export without a limit). SIGXFSZ ignored,
        // so that writing past the limit is the error EFBIG.
        let scratch = try SpecDirectory()
        let measured = scratch.path("measured")
        let plain = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", measured])
        try #require(plain.status == 0, "\(plain.stderr)")
        let sizes = try FileManager.default.contentsOfDirectory(atPath: measured).map { name in
            try #require(try FileManager.default.attributesOfItem(atPath: measured + "/" + name)[.size] as? Int)
        }.sorted()
        let blocks = (sizes.first! + sizes.last!) / 2 / 512
        try #require(sizes.first! <= blocks * 512 && blocks * 512 < sizes.last!, "query sizes \(sizes)")
        let script = "trap '' XFSZ; ulimit -f \(blocks); exec \"$0\" \"$@\""
        let run = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"),
                                      ["-c", script, BarproofRun.executable.path, "export-smt2", "Specs/legacy.yaml", "--out", out])
        #expect(run.status == 74, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("File too large"), "\(run.stderr)")
        #expect(run.stderr.contains("cannot write \(out)/"), "\(run.stderr)")
        #expect(try Self.contents(out) == before, "files changed: \((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])")

        // Into a folder that does not exist yet: none is created.
        let fresh = folder.path("fresh")
        let none = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"),
                                       ["-c", script, BarproofRun.executable.path, "export-smt2", "Specs/legacy.yaml", "--out", fresh])
        #expect(none.status == 74, "\(none.stdout)\(none.stderr)")
        #expect(none.stderr.contains("cannot write \(fresh)/"), "named by the staging folder: \(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["proofs", "queries"])
    }

    @Test("export-smt2 into a new folder writes every query; into an existing one it replaces them and keeps their modes")
    func exportWritesEveryQuery() throws {
        let folder = try SpecDirectory()
        let out = folder.path("new/queries")
        let run = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try Self.contents(out)
        let recorded = try FileManager.default.contentsOfDirectory(atPath: BarproofRun.repository.appendingPathComponent("proofs/legacy").path)
        #expect(written.count == recorded.filter { $0.hasSuffix(".smt2") }.count && written.keys.allSatisfy { !$0.hasPrefix(".") }, "\(written.keys.sorted())")
        #expect(Self.mode(out + "/page-exclusive.4k-case0.smt2") == 0o644)
        chmod(out + "/page-exclusive.4k-case0.smt2", 0o600)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: out + "/mmap-within-bar.4k-case0.smt2"))
        let again = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.contents(out) == written)
        #expect(Self.mode(out + "/page-exclusive.4k-case0.smt2") == 0o600)
    }

    // MARK: - Config space is the owner's

    /// A sysfs root with nothing in it but what `snapshot` requires.
    static func emptyRoot(in folder: SpecDirectory) throws -> String {
        let root = folder.path("root")
        try FileManager.default.createDirectory(atPath: root + "/sys/bus/pci/devices", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/proc", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: root + "/proc/iomem"))
        return root
    }

    @Test("a new snapshot file is 0600 whatever the umask allows; an existing one keeps its mode")
    func snapshotIsTheOwnersOnly() throws {
        let folder = try SpecDirectory()
        let root = try Self.emptyRoot(in: folder)
        let output = folder.path("snapshot.json")
        let run = try BarproofRun.run(["snapshot", "--root", root, "--output", output])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.mode(output) == 0o600, "mode \(String(Self.mode(output), radix: 8))")
        chmod(output, 0o640)
        #expect(try BarproofRun.run(["snapshot", "--root", root, "--output", output]).status == 0)
        #expect(Self.mode(output) == 0o640)
    }

    @Test("search --out: every file of a fixture folder is 0600; a stale staging folder of a killed run is removed, other hidden folders are not")
    func fixtureFilesAreTheOwnersOnly() throws {
        let folder = try SpecDirectory()
        let out = folder.path("fixtures")
        let child = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$"])
        let dead = try #require(Int(child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let name = "mainline-page-exclusive-without-reservation-1"
        // What a run killed while writing leaves, and look-alikes that are not barproof's.
        let stale = "\(out)/.\(name).staging-\(dead)-Ab12Cd"
        let notOurs = ["\(out)/.\(name).staging-\(dead)", "\(out)/.notes", "\(out)/.\(name).staging-\(getpid())-Ab12Cd"]
        for path in [stale] + notOurs {
            try FileManager.default.createDirectory(atPath: path + "/sys", withIntermediateDirectories: true)
        }
        let run = try BarproofRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation", "--out", out])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let fixture = out + "/" + name
        let files = try Self.contents(fixture)
        #expect(files.keys.contains("topology.json") && files.keys.contains { $0.hasSuffix("/config") }, "\(files.keys.sorted())")
        for file in files.keys.sorted() {
            #expect(Self.mode(fixture + "/" + file) == 0o600, "\(file): mode \(String(Self.mode(fixture + "/" + file), radix: 8))")
        }
        #expect(!FileManager.default.fileExists(atPath: stale), "the stale staging folder was left")
        for path in notOurs { #expect(FileManager.default.fileExists(atPath: path), "\(path) was removed") }
    }

    @Test("--output: a staged file a killed run left beside the report is removed by the next write; look-alikes are kept")
    func staleStagedFileIsRemoved() throws {
        let folder = try SpecDirectory()
        let output = folder.path("report.json")
        let child = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$"])
        let dead = try #require(Int(child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let stale = folder.path(".report.json.staging-\(dead)-Zx9Yw8")
        let notOurs = [folder.path(".report.json.staging-\(getpid())-Zx9Yw8"), folder.path(".report.json.tmp")]
        for path in [stale] + notOurs { try Data("half\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let spec = try folder.write("one", "policy: mainline\nplatform:\n  page_sizes: [64K]\nchecks:\n  - invariant: mmap-within-bar\n    expect: proved\n")
        let run = try BarproofRun.run(["prove", spec, "--format", "json", "--output", output, "--proofs", folder.path("proofs")])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: output))
        #expect(!FileManager.default.fileExists(atPath: stale), "the stale staged file was left")
        for path in notOurs { #expect(FileManager.default.fileExists(atPath: path), "\(path) was removed") }
    }

    // MARK: - Plain errors

    @Test("search --out naming a file: exit 73 with the path and the reason, before any searching")
    func searchOutIsAFile() throws {
        let folder = try SpecDirectory()
        let file = folder.path("fixtures")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: file))
        let run = try BarproofRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation", "--out", file])
        #expect(run.status == 73, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("cannot write \(file): it exists and is not a directory"), "\(run.stderr)")
        #expect(!run.stderr.contains("internal error") && !run.stderr.contains("NSCocoaErrorDomain"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "it searched first: \(run.stdout)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "mine\n")
    }

    @Test("export-smt2 and snapshot under a path whose folder is a file: exit 73 with the reason, no NSError")
    func outputUnderAFile() throws {
        let folder = try SpecDirectory()
        let file = folder.path("file")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: file))
        let export = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", file + "/queries"])
        #expect(export.status == 73, "\(export.stderr)")
        #expect(export.stderr.contains("cannot write \(file)"), "\(export.stderr)")
        let root = try Self.emptyRoot(in: folder)
        let snapshot = try BarproofRun.run(["snapshot", "--root", root, "--output", file + "/snapshot.json"])
        #expect(snapshot.status == 73, "\(snapshot.stderr)")
        #expect(snapshot.stderr == "error: cannot write \(file): it exists and is not a directory\n", "\(snapshot.stderr)")
    }
}
