import Foundation
import PCIModel
import Prover
import Reports
import SpecFiles
import Z3Kit

/// The recorded proofs under a directory (`proofs/` by default): `<spec>/<check>.json` and the
/// check's SMT-LIB2 queries `<spec>/<check>.<page>-case<n>.smt2`.
///
/// A spec's folder is a unit: ``write(spec:outcomes:timeoutMilliseconds:seed:)`` builds the new set
/// in a staging folder beside it and swaps it in with one `renameat2(RENAME_EXCHANGE)`, so at every
/// instant `proofs/<spec>` is the complete old set or the complete new set. barproof deletes only
/// folders that hold nothing but record files; a folder holding anything else is refused.
struct RecordStore {
    static let defaultDirectory = "proofs"

    var directory: String
    /// The directory exists. A missing default `proofs/` compares nothing, and every report says so.
    var found: Bool

    /// The directory a run uses: `--proofs DIR` as given, else `proofs`. One given explicitly must
    /// exist unless recording, which creates it: a typo must not turn the drift gate off (usage
    /// error, 64). A path that is not a directory is a usage error too.
    static func open(_ given: String?, recording: Bool) throws -> RecordStore {
        let directory = given ?? defaultDirectory
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw UsageError(message: "--proofs \(directory): not a directory")
        }
        if !exists, given != nil, !recording {
            throw UsageError(message: "--proofs \(directory): no such directory, so no record could be compared "
                             + "(record into it with `barproof prove --record --proofs \(directory)`)")
        }
        return RecordStore(directory: directory, found: exists)
    }

    func folder(_ spec: String) -> String { "\(directory)/\(spec)" }

    func recordPath(spec: String, check: String) -> String { "\(directory)/\(spec)/\(check).json" }

    static func bad(_ path: String, _ message: String) -> SpecErrors {
        SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: message)])
    }

    // MARK: - Reading

    /// The checks that have a `<check>.json` in the spec's folder; nil when there is no folder.
    /// A folder that cannot be listed is bad input, and so is one that an interrupted swap left
    /// aside (only possible where `RENAME_EXCHANGE` is not supported).
    func recordedChecks(spec: String) throws -> Set<String>? {
        let folder = folder(spec)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            if let aside = Self.staleFolders(in: directory).first(where: { $0.spec == spec && $0.kind == "old" }) {
                throw Self.bad(folder, "missing, and an interrupted `barproof prove --record` left the previous records in "
                               + "\(directory)/\(aside.name); run `barproof prove --record` again, which restores or replaces them")
            }
            return nil
        }
        guard isDirectory.boolValue else { throw Self.bad(folder, "not a directory, so it holds no records") }
        do {
            let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
            return Set(entries.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) })
        } catch {
            throw Self.bad(folder, "cannot list the records folder (\(Self.describe(error)))")
        }
    }

    /// The record of a check, nil when its file does not exist. A record that exists but cannot
    /// be read (a user without permission, a directory), does not parse, or has a format this
    /// barproof does not read is bad input (65, naming the file), never "no record".
    func record(spec: String, check: String) throws -> ProofRecord? {
        let path = recordPath(spec: spec, check: check)
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw Self.bad(path, "cannot read the record (\(String(cString: strerror(errno))))")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Self.bad(path, "cannot read the record (\(Self.describe(error)))")
        }
        do {
            return try ProofRecord.decode(data)
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column,
                                                          message: "not a barproof proof record: \(error.message); re-record with `barproof prove --record`")])
        }
    }

    /// The fresh record of an outcome, as `--record` would write it (query names left empty).
    static func fresh(_ outcome: CheckOutcome, check: SpecCheck, queries: [String] = []) -> ProofRecord {
        ProofRecord(outcome, checkSHA256: check.digest, queries: queries, barproofVersion: BarproofRelease.version,
                    z3Version: Context.fullVersion)
    }

    // MARK: - Whose folder

    /// Why `folder` may not be replaced, or nil when it is absent or holds only record files:
    /// regular files named `<check>.json` or `<check>.<query>.smt2`. Anything else (another file,
    /// a subdirectory, a link, the folder itself a file or a link) is someone else's.
    static func refusal(_ folder: String) -> String? {
        var status = stat()
        guard lstat(folder, &status) == 0 else {
            return errno == ENOENT ? nil : "cannot inspect it (\(String(cString: strerror(errno))))"
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { return "it is not a directory" }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            return "cannot list it (\(describe(error)))"
        }
        for name in entries.sorted() {
            var entry = stat()
            guard lstat("\(folder)/\(name)", &entry) == 0, entry.st_mode & S_IFMT == S_IFREG, isRecordFileName(name) else {
                return "it holds '\(name)', which is not a barproof record file (<check>.json or <check>.<query>.smt2)"
            }
        }
        return nil
    }

    static func isRecordFileName(_ name: String) -> Bool {
        guard !name.hasPrefix(".") else { return false }
        if name.hasSuffix(".json") { return name.count > 5 }
        if name.hasSuffix(".smt2") {
            let stem = name.dropLast(5)
            return stem.contains(".") && !stem.hasPrefix(".") && !stem.hasSuffix(".")
        }
        return false
    }

    /// Before any solving: every spec's folder can be replaced and this user can write into the
    /// directory, so `--record` fails before it writes anything rather than after (a folder that
    /// is not barproof's: 65; one this user cannot write into: 73).
    func checkReplaceable(_ specs: [Spec]) throws {
        let problems = specs.compactMap { spec in
            Self.refusal(folder(spec.name)).map {
                SpecDiagnostic(file: folder(spec.name), line: 1, column: 1,
                               message: "refusing to replace this folder with the records of \(spec.file): \($0); "
                               + "move it away or choose another --proofs directory")
            }
        }
        if !problems.isEmpty { throw SpecErrors(diagnostics: problems) }
        try OutputFiles.checkCanCreate(in: directory)
    }

    // MARK: - Writing

    /// Replaces the records of `spec` with those of `outcomes`, with each check's queries, as one
    /// unit. An inconclusive check keeps its previous record and queries (copied into the new set);
    /// one without a previous record gets none. Returns the files written and the checks kept.
    func write(spec: Spec, outcomes: [CheckOutcome], timeoutMilliseconds: UInt32?, seed: UInt32) throws
        -> (written: [String], kept: [String]) {
        let fm = FileManager.default
        try OutputFiles.makeDirectories(directory)
        try removeStale()
        let target = folder(spec.name)
        if let refusal = Self.refusal(target) {
            throw Self.bad(target, "refusing to replace this folder: \(refusal)")
        }
        let staging = "\(directory)/.\(spec.name).staging-\(getpid())"
        if fm.fileExists(atPath: staging) { try fm.removeItem(atPath: staging) }
        guard mkdir(staging, 0o777) == 0 else { throw OutputError(staging, errno: errno) }
        var names: [String] = []
        var kept: [String] = []
        do {
            for outcome in outcomes {
                guard let check = spec.checks.first(where: { $0.name == outcome.check }) else { continue }
                if outcome.verdict == .unknown {
                    guard let previous = try record(spec: spec.name, check: check.name) else { continue }
                    for name in ["\(check.name).json"] + previous.queries {
                        let data: Data
                        do { data = try Data(contentsOf: URL(fileURLWithPath: "\(target)/\(name)")) } catch {
                            throw Self.bad("\(target)/\(name)", "cannot keep the previous record of inconclusive \(check.name) "
                                           + "(\(Self.describe(error)))")
                        }
                        try Self.writeSynced(data, to: "\(staging)/\(name)")
                        names.append(name)
                    }
                    kept.append(check.name)
                    continue
                }
                let queries = try check.request(timeoutMilliseconds: timeoutMilliseconds, seed: seed).queries()
                var queryNames: [String] = []
                for query in queries {
                    let name = "\(check.name).\(query.name).smt2"
                    queryNames.append(name)
                    try Self.writeSynced(Data(query.text.utf8), to: "\(staging)/\(name)")
                    names.append(name)
                }
                let record = Self.fresh(outcome, check: check, queries: queryNames)
                try Self.writeSynced(try record.encoded(), to: "\(staging)/\(check.name).json")
                names.append("\(check.name).json")
            }
            try Self.syncDirectory(staging)
            // A signal cannot end the process between the renames (``RunControl/critical(_:)``).
            try RunControl.critical { try swap(staging, into: target, spec: spec.name) }
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        return (names.sorted().map { "\(target)/\($0)" }, kept)
    }

    /// Puts the complete `staging` set at `target`: a rename when there is no old set, else an
    /// atomic exchange of the two folders and the old set (now at `staging`) removed. Where the
    /// file system cannot exchange, the old set is renamed aside first (`.<spec>.old-<pid>`), then
    /// the new one in; a run killed between the two leaves `target` missing, which the next
    /// `prove` reports and the next `prove --record` repairs (``removeStale()``).
    private func swap(_ staging: String, into target: String, spec: String) throws {
        if !FileManager.default.fileExists(atPath: target) {
            try Self.rename(staging, target)
        } else if Self.exchange(staging, target) {
            try Self.removeRecordFolder(staging)
        } else {
            let aside = "\(directory)/.\(spec).old-\(getpid())"
            try Self.rename(target, aside)
            try Self.rename(staging, target)
            try Self.removeRecordFolder(aside)
        }
        try Self.syncDirectory(directory)
    }

    /// A staging or set-aside folder of a run, by its name: `.<spec>.staging-<pid>`, `.<spec>.old-<pid>`.
    struct StaleFolder {
        var name: String
        var spec: String
        var kind: String
        var pid: Int32
    }

    /// Staging and set-aside folders in `directory` whose run is no longer alive.
    static func staleFolders(in directory: String) -> [StaleFolder] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.sorted().compactMap { name in
            guard name.hasPrefix("."), let dash = name.lastIndex(of: "-"), let pid = Int32(name[name.index(after: dash)...]) else {
                return nil
            }
            let head = name[name.index(after: name.startIndex)..<dash]
            for kind in ["staging", "old"] where head.hasSuffix(".\(kind)") {
                let spec = String(head.dropLast(kind.count + 1))
                guard !spec.isEmpty, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { return nil }
                return StaleFolder(name: name, spec: spec, kind: kind, pid: pid)
            }
            return nil
        }
    }

    /// Removes what killed runs left: a staging folder is dropped; a set-aside old set whose spec
    /// folder is missing is renamed back (it is complete), else dropped. Only folders that hold
    /// nothing but record files are touched.
    func removeStale() throws {
        for stale in Self.staleFolders(in: directory) {
            let path = "\(directory)/\(stale.name)"
            guard Self.refusal(path) == nil else { continue }
            if stale.kind == "old", !FileManager.default.fileExists(atPath: folder(stale.spec)) {
                try Self.rename(path, folder(stale.spec))
                printError("restored \(folder(stale.spec)) from \(path), left by an interrupted `prove --record`")
            } else {
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }

    static func removeRecordFolder(_ path: String) throws {
        if let refusal = refusal(path) { throw bad(path, "not removed: \(refusal)") }
        try FileManager.default.removeItem(atPath: path)
    }

    // MARK: - File system steps

    static func describe(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }

    /// A step of writing the records failed: 73 or 74 with the path and the reason.
    static func failure(_ what: String, _ path: String) -> any Error {
        var error = OutputError(path, errno: errno)
        error.reason = "\(what) failed: \(error.reason)"
        return error
    }

    /// Creates `path` (which must not exist) with `data`, flushed to the disk before returning.
    static func writeSynced(_ data: Data, to path: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("creating the file", path) }
        defer { close(fd) }
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("writing", path)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("opening the directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw failure("renaming \(from) to \(to)", to) }
    }

    /// Swaps two paths atomically (``OutputFiles/exchange(_:_:)``); false where not supported.
    static func exchange(_ a: String, _ b: String) -> Bool { OutputFiles.exchange(a, b) }
}
