import Foundation
import Testing

/// A second user on the machine: the tests run as root in CI, so they act as `nobody` through
/// `setpriv(1)`, both as the attacker who plants links in a shared folder and as the user who
/// cannot write where barproof is asked to. Without root, or without setpriv, they are skipped
/// with that reason (never passed silently).
enum SecondUser {
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let nobody: uid_t = 65534

    static var available: Bool { getuid() == 0 && setpriv != nil }

    /// Runs `program arguments` as nobody (no groups).
    static func run(_ program: String, _ arguments: [String], in directory: URL = BarproofRun.repository,
                    timeout: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation) throws -> BarproofRun {
        guard let setpriv else { throw CocoaError(.featureUnsupported) }
        return try BarproofRun.run(program: URL(fileURLWithPath: setpriv),
                                   ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", "--", program] + arguments,
                                   in: directory, timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Runs barproof as nobody.
    static func barproof(_ arguments: [String], in directory: URL = BarproofRun.repository,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> BarproofRun {
        try run(BarproofRun.executable.path, arguments, in: directory, sourceLocation: sourceLocation)
    }
}

@Suite("Outputs with a second user", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: SecondUser.available, "needs root and setpriv(1), to act as a second user (nobody)"))
struct UnprivilegedOutputTests {
    /// A scratch folder every user can enter.
    static func scratch() throws -> SpecDirectory {
        let folder = try SpecDirectory()
        chmod(folder.url.path, 0o755)
        return folder
    }

    struct FileState: Equatable {
        var bytes: Data
        var mode: mode_t
        var modified: Int
        var links: UInt

        init(_ path: String) throws {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            var info = stat()
            lstat(path, &info)
            mode = info.st_mode
            modified = info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
            links = UInt(info.st_nlink)
        }
    }

    @Test("root writing into a world-writable sticky folder where nobody planted links at the names barproof might use: every link's target (a root-only 0600 file) untouched, and what holds config space unreadable to nobody")
    func plantedLinksAreNotFollowed() throws {
        let folder = try Self.scratch()
        let secrets = folder.path("secrets")
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: false)
        chmod(secrets, 0o700)
        let secret = secrets + "/secret"
        try Data("root only\n".utf8).write(to: URL(fileURLWithPath: secret))
        chmod(secret, 0o600)
        let before = try FileState(secret)
        let secretsBefore = try FileManager.default.contentsOfDirectory(atPath: secrets)

        let shared = folder.path("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        chmod(shared, 0o1777)
        let root = try OutputFileTests.emptyRoot(in: folder)

        // The pids the coming runs will likely have: the next few hundred after a probe's.
        let probe = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$"])
        let next = try #require(Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let pids = (next - 5)...(next + 300)
        let fixture = "mainline-page-exclusive-without-reservation-1"
        var names: [String] = []
        for name in ["report.txt", "snapshot.json", "page-exclusive.4k-case0.smt2", "mmap-within-bar.64k-case1.smt2", fixture] {
            names += [name, "\(name).tmp", ".\(name).tmp", "\(name)~", ".\(name).swp", ".\(name).new", ".\(name).old", ".\(name).XXXXXX"]
            for pid in pids {
                names += [".\(name).\(pid).tmp", ".\(name).\(pid)", ".\(name).staging-\(pid)", ".\(name).staging-\(pid)-XXXXXX",
                          ".\(name).old-\(pid)-XXXXXX"]
            }
        }
        names.removeAll { $0 == fixture }
        // nobody plants them (its own links, in the sticky folder), all pointing at root's secret.
        try plant(names, in: shared, pointingAt: secret)
        var owner = stat()
        lstat(shared + "/report.txt", &owner)
        #expect(owner.st_uid == SecondUser.nobody && owner.st_mode & S_IFMT == S_IFLNK)

        let report = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--output", shared + "/report.txt"])
        #expect(report.status == 0, "\(report.stderr)")
        let snapshot = try BarproofRun.run(["snapshot", "--root", root, "--output", shared + "/snapshot.json"])
        #expect(snapshot.status == 0, "\(snapshot.stderr)")
        let export = try BarproofRun.run(["export-smt2", "Specs/legacy.yaml", "--out", shared])
        #expect(export.status == 0, "\(export.stderr)")
        let search = try BarproofRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation", "--out", shared])
        #expect(search.status == 0, "\(search.stdout)\(search.stderr)")

        #expect(try FileState(secret) == before, "the secret was written to, or its mode changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: secrets) == secretsBefore)
        // The outputs are root's own files, where the links named the targets.
        for name in ["report.txt", "snapshot.json", "page-exclusive.4k-case0.smt2", "mmap-within-bar.64k-case1.smt2"] {
            var info = stat()
            lstat(shared + "/" + name, &info)
            #expect(info.st_mode & S_IFMT == S_IFREG && info.st_uid == 0, "\(name) is not root's regular file")
        }
        // Config space is root's only: nobody cannot read the snapshot or the fixture's files.
        let configs = (FileManager.default.enumerator(atPath: shared + "/" + fixture)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix("/config") }
        #expect(!configs.isEmpty, "the fixture has no config file")
        for path in [shared + "/snapshot.json", shared + "/\(fixture)/topology.json", shared + "/\(fixture)/machine.umockdev"]
            + configs.map({ shared + "/\(fixture)/" + $0 }) {
            let read = try SecondUser.run("/bin/cat", [path])
            #expect(read.status != 0 && read.stdout.isEmpty, "nobody could read \(path)")
        }
        // A link at the fixture folder's own name is not followed either: refused (73), the
        // folder it names untouched.
        try FileManager.default.removeItem(atPath: shared + "/" + fixture)
        try plant([fixture], in: shared, pointingAt: secrets)
        let refused = try BarproofRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation", "--out", shared])
        #expect(refused.status == 73, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("cannot write \(shared)/\(fixture): it is a symbolic link"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: secrets) == secretsBefore)
        #expect(try FileState(secret) == before)
    }

    /// nobody creates symbolic links named `names` in `folder`, each pointing at `target`.
    func plant(_ names: [String], in folder: String, pointingAt target: String) throws {
        let script = "chdir(shift @ARGV) or die $!; $t = shift @ARGV; for (@ARGV) { symlink($t, $_) or die \"$_: $!\" }"
        for start in stride(from: 0, to: names.count, by: 2000) {
            let chunk = Array(names[start..<min(start + 2000, names.count)])
            let run = try SecondUser.run("/usr/bin/perl", ["-e", script, folder, target] + chunk)
            try #require(run.status == 0, "nobody could not plant links: \(run.stderr)")
        }
    }

    @Test("where nobody cannot write: --record, export-smt2, search --out, --output and snapshot --output are exit 73 with the path and the reason, before any work")
    func readOnlyPlacesArePlainErrors() throws {
        let folder = try Self.scratch()
        let locked = folder.path("locked")
        try FileManager.default.createDirectory(atPath: locked + "/proofs", withIntermediateDirectories: true)
        chmod(locked, 0o755)
        chmod(locked + "/proofs", 0o755)
        let root = try OutputFileTests.emptyRoot(in: folder)
        let denied = "Permission denied"

        let record = try SecondUser.barproof(["prove", "Specs/legacy.yaml", "--record", "--proofs", locked + "/proofs"])
        #expect(record.status == 73, "\(record.stdout)\(record.stderr)")
        #expect(record.stderr.contains("cannot write \(locked)/proofs: \(denied)"), "\(record.stderr)")
        #expect(record.stdout.isEmpty, "it solved before finding out")

        let missing = try SecondUser.barproof(["prove", "Specs/legacy.yaml", "--record", "--proofs", locked + "/new"])
        #expect(missing.status == 73 && missing.stderr.contains("cannot write \(locked): \(denied)"), "\(missing.stderr)")

        for out in [locked, locked + "/queries"] {
            let export = try SecondUser.barproof(["export-smt2", "Specs/legacy.yaml", "--out", out])
            #expect(export.status == 73, "\(export.stderr)")
            #expect(export.stderr == "error: cannot write \(locked): \(denied)\n", "\(export.stderr)")
        }

        let search = try SecondUser.barproof(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation", "--out", locked])
        #expect(search.status == 73 && search.stdout.isEmpty, "\(search.stdout)\(search.stderr)")
        #expect(search.stderr.contains("cannot write \(locked): \(denied)"), "\(search.stderr)")

        let output = try SecondUser.barproof(["prove", "Specs/legacy.yaml", "--output", locked + "/report.txt"])
        #expect(output.status == 73 && output.stderr.contains("cannot write \(locked)/report.txt: \(denied)"), "\(output.stderr)")

        let snapshot = try SecondUser.barproof(["snapshot", "--root", root, "--output", locked + "/snapshot.json"])
        #expect(snapshot.status == 73 && snapshot.stderr.contains("cannot write \(locked)/snapshot.json: \(denied)"), "\(snapshot.stderr)")

        for run in [record, missing, search, output, snapshot] {
            #expect(!run.stderr.contains("internal error") && !run.stderr.contains("Domain="), "\(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked) == ["proofs"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked + "/proofs") == [])
    }
}
