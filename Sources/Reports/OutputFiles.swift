import Foundation

/// An output barproof could not write, with the path and the reason in plain words.
///
/// Exit 73 (EX_CANTCREAT) when it could not be created: no such folder, no permission, a
/// read-only file system, a directory or a file in the way. Exit 74 (EX_IOERR) when the system
/// failed to store it: an I/O error, a full disk or quota, a file too large.
public struct OutputError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case cannotCreate
        case ioError
    }

    public var path: String
    public var reason: String
    public var kind: Kind

    public var description: String { "cannot write \(path): \(reason)" }

    public init(_ path: String, errno code: Int32) {
        self.path = path
        reason = String(cString: strerror(code))
        kind = [EIO, ENOSPC, EDQUOT, EFBIG, ENXIO].contains(code) ? .ioError : .cannotCreate
    }

    public init(_ path: String, reason: String, kind: Kind = .cannotCreate) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    /// 73 or 74.
    public var exitCode: Int32 { kind == .cannotCreate ? 73 : 74 }
}

/// How barproof writes what it outputs, so that no reader ever sees a half-written output, a
/// failed or killed run leaves the previous output in place, and no name planted in a shared
/// folder is followed:
///
/// - one file (``write(_:to:newFileMode:)``): `mkstemp` beside the target (`O_CREAT | O_EXCL`,
///   a random name, mode 0600), written, fsynced, given its mode, renamed over the target;
/// - several files in existing folders (``write(_:newFileMode:)``): all staged that way first,
///   then renamed in one go, with each file they replace kept under a hard link until every rename
///   has succeeded, so a failure at any step restores the old files;
/// - a folder (``writeFolder(_:to:fileMode:replacing:)``): built under a staging name beside it
///   (`mkdtemp`), every file and folder fsynced, then renamed into place, or atomically exchanged
///   with the folder it replaces (`renameat2(RENAME_EXCHANGE)`), the old one then removed.
///   Staging folders that killed runs left are removed by the next write into the same parent,
///   recognised by barproof's own name pattern, their owner and their run being gone.
///
/// An existing regular file keeps its mode; a new one gets the mode asked for as the umask
/// allows: the umask's default (0666) for reports and queries, 0600 for what holds config space
/// (snapshots and fixtures), which may show a host's devices and their serial numbers.
public enum OutputFiles {
    /// The mode of a new file that holds no host data: what the umask allows of 0666.
    public static let defaultMode: mode_t = 0o666
    /// The mode of a new file that holds config space: the owner's only.
    public static let privateMode: mode_t = 0o600

    /// A file error in plain words: the POSIX reason under Foundation's wrapping.
    public static func reason(_ error: any Error) -> String {
        if let output = error as? OutputError { return output.reason }
        let cocoa = error as NSError
        if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if cocoa.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(cocoa.code))) }
        return cocoa.localizedDescription
    }

    // MARK: - Folders

    /// Creates `path` and its missing parents (mode 0777 as the umask allows), like `mkdir -p`.
    /// An existing directory (or a link to one: the path is the user's) is fine; anything else
    /// in the way is an ``OutputError`` naming it.
    public static func makeDirectories(_ path: String) throws(OutputError) {
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else { throw OutputError(path, reason: "it exists and is not a directory") }
            return
        }
        guard errno == ENOENT else { throw OutputError(path, errno: errno) }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o777) != 0 && errno != EEXIST { throw OutputError(path, errno: errno) }
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw OutputError(path, reason: "it exists and is not a directory")
        }
    }

    /// Throws unless this user can create files in the directory `path` (or, when it does not
    /// exist yet, in its nearest existing parent): checked before a long run, so that the run
    /// does not end in an error after the work is done.
    public static func checkCanCreate(in path: String) throws(OutputError) {
        var candidate = path
        var status = stat()
        while stat(candidate, &status) != 0 {
            guard errno == ENOENT else { throw OutputError(candidate, errno: errno) }
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == candidate {
                candidate = "."
                break
            }
            candidate = parent
        }
        guard stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw OutputError(candidate, reason: "it exists and is not a directory")
        }
        if access(candidate, W_OK | X_OK) != 0 { throw OutputError(candidate, errno: errno) }
    }

    // MARK: - Files

    /// Writes one file atomically; see ``OutputFiles``.
    public static func write(_ data: Data, to path: String, newFileMode: mode_t = defaultMode) throws(OutputError) {
        try write([(path, data)], newFileMode: newFileMode)
    }

    /// Writes several files as one unit: either every one is replaced, or (after any failure)
    /// none is, and no temporary file is left.
    public static func write(_ files: [(path: String, data: Data)], newFileMode: mode_t = defaultMode) throws(OutputError) {
        var staged: [(temporary: String, target: String, backup: String?)] = []
        func discard() {
            for entry in staged {
                unlink(entry.temporary)
                if let backup = entry.backup { unlink(backup) }
            }
        }
        do {
            for (path, data) in files {
                let temporary = try stage(data, for: path, newFileMode: newFileMode)
                staged.append((temporary, path, nil))
            }
            // The old files stay reachable under a second name until every new one is in place
            // (one file needs none: its rename is atomic).
            for i in staged.indices where staged.count > 1 {
                var status = stat()
                guard lstat(staged[i].target, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
                staged[i].backup = try hardLink(staged[i].target)
            }
        } catch {
            discard()
            throw error
        }
        var renamed = 0 // files in place
        while renamed < staged.count {
            if rename(staged[renamed].temporary, staged[renamed].target) != 0 {
                let failure = OutputError(staged[renamed].target, errno: errno)
                // Put back what was already replaced; files that did not exist are removed again.
                for entry in staged[..<renamed] {
                    if let backup = entry.backup { rename(backup, entry.target) } else { unlink(entry.target) }
                }
                staged.removeFirst(renamed)
                discard()
                throw failure
            }
            renamed += 1
        }
        for entry in staged {
            if let backup = entry.backup { unlink(backup) }
        }
        for folder in Set(staged.map { ($0.target as NSString).deletingLastPathComponent }) { syncDirectory(folder) }
    }

    /// The staged copy of `data` for `path`, beside it: created with `mkstemp`, written,
    /// given its final mode and fsynced.
    static func stage(_ data: Data, for path: String, newFileMode: mode_t) throws(OutputError) -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try makeDirectories(directory)
        var existing = stat()
        let exists = lstat(path, &existing) == 0
        if exists, existing.st_mode & S_IFMT == S_IFDIR { throw OutputError(path, reason: "it is a directory") }
        let mode: mode_t = exists && existing.st_mode & S_IFMT == S_IFREG ? existing.st_mode & 0o7777 : newFileMode & ~currentUmask()
        // Named as staging folders are (`.<name>.staging-<pid>-XXXXXX`), so that the file a killed
        // run leaves is recognised and removed by the next write here.
        removeStaleStaging(in: directory)
        var template = Array("\(directory)/.\(url.lastPathComponent).staging-\(getpid())-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw OutputError(path, errno: errno) }
        let temporary = Self.path(from: template)
        var failure: Int32?
        if let code = writeAll(data, to: descriptor) { failure = code }
        if failure == nil, fchmod(descriptor, mode) != 0 { failure = errno }
        if failure == nil, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == nil { failure = errno }
        if let failure {
            unlink(temporary)
            throw OutputError(path, errno: failure)
        }
        return temporary
    }

    /// A second name for the file at `path`, random, beside it; nil where the file system has
    /// no hard links (then that file's old content cannot be put back after a failed rename).
    static func hardLink(_ path: String) throws(OutputError) -> String? {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        for _ in 0..<100 {
            let name = "\(directory)/.\(url.lastPathComponent).\(randomWord()).old"
            if link(path, name) == 0 { return name }
            if [EPERM, EOPNOTSUPP, EMLINK].contains(errno) { return nil }
            if errno != EEXIST { throw OutputError(path, reason: "cannot keep the old file while replacing it (\(String(cString: strerror(errno))))") }
        }
        throw OutputError(path, reason: "cannot find a free name beside it")
    }

    /// The path `mkstemp` or `mkdtemp` filled in.
    static func path(from template: [CChar]) -> String {
        String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func randomWord() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// Writes all of `data`; the errno of a failure, or nil.
    static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    static func currentUmask() -> mode_t {
        let mask = umask(0)
        umask(mask)
        return mask
    }

    /// Flushes a folder's entries (a rename reaches the disk with its folder); best effort.
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    // MARK: - Whole folders

    /// Writes `files` (relative paths, `a/b/c`) as the folder `folder`, created or replacing the
    /// folder there, all at once; see ``OutputFiles``.
    ///
    /// New files get `fileMode` as the umask allows; folders the umask's default, or, for the
    /// folder itself when it replaces one, that one's mode. `replacing` says why an existing
    /// folder at `folder` must not be replaced (nil: it may); the folder is then left as it is.
    public static func writeFolder(_ files: [String: [UInt8]], to folder: String, fileMode: mode_t = defaultMode,
                                   replacing refusal: (String) -> String? = { _ in nil }) throws(OutputError) {
        let url = URL(fileURLWithPath: folder)
        let parent = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        try makeDirectories(parent)
        removeStaleStaging(in: parent)
        var existing = stat()
        let replaces = lstat(folder, &existing) == 0
        if replaces {
            guard existing.st_mode & S_IFMT == S_IFDIR else {
                let what = existing.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a directory"
                throw OutputError(folder, reason: "it is \(what), not a folder barproof wrote; move it away")
            }
            if let reason = refusal(folder) { throw OutputError(folder, reason: "refusing to replace it: \(reason)") }
        }
        let mask = currentUmask()
        let staging = try makeStagingFolder(in: parent, for: name)
        do throws(OutputError) {
            try fill(staging, with: files, fileMode: fileMode & ~mask, folderMode: 0o777 & ~mask)
            let mode = replaces ? existing.st_mode & 0o7777 : 0o777 & ~mask
            if chmod(staging, mode) != 0 { throw OutputError(folder, errno: errno) }
            syncDirectory(staging)
            if !replaces {
                if rename(staging, folder) != 0 { throw OutputError(folder, errno: errno) }
            } else if exchange(staging, folder) {
                // The old folder is now at the staging name; a run killed before it is removed
                // leaves it for the next run to remove.
                syncDirectory(parent)
                try? FileManager.default.removeItem(atPath: staging)
            } else {
                let aside = try makeStagingFolder(in: parent, for: name, kind: "old")
                if rename(folder, aside) != 0 || rename(staging, folder) != 0 {
                    let code = errno
                    rename(aside, folder)
                    throw OutputError(folder, errno: code)
                }
                try? FileManager.default.removeItem(atPath: aside)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            // Named as the user named it, not by the staging folder's name.
            var named = error
            if named.path.hasPrefix(staging) { named.path = folder + named.path.dropFirst(staging.count) }
            throw named
        }
        syncDirectory(parent)
    }

    /// Creates the files and their folders under `root`, each fsynced, folders after their files.
    static func fill(_ root: String, with files: [String: [UInt8]], fileMode: mode_t, folderMode: mode_t) throws(OutputError) {
        var folders: [String] = [root]
        var made: Set<String> = []
        for (relative, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let parts = relative.split(separator: "/").map(String.init)
            guard !parts.isEmpty, !parts.contains(".."), !parts.contains("."), !relative.hasPrefix("/") else {
                throw OutputError("\(root)/\(relative)", reason: "not a relative path inside the folder")
            }
            var folder = root
            for part in parts.dropLast() {
                folder += "/" + part
                if made.insert(folder).inserted {
                    if mkdir(folder, 0o700) != 0 { throw OutputError(folder, errno: errno) }
                    if chmod(folder, folderMode) != 0 { throw OutputError(folder, errno: errno) }
                    folders.append(folder)
                }
            }
            let path = "\(root)/\(relative)"
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw OutputError(path, errno: errno) }
            var failure = writeAll(Data(bytes), to: descriptor)
            if failure == nil, fchmod(descriptor, fileMode) != 0 { failure = errno }
            if failure == nil, fsync(descriptor) != 0 { failure = errno }
            if close(descriptor) != 0, failure == nil { failure = errno }
            if let failure { throw OutputError(path, errno: failure) }
        }
        for folder in folders.reversed() { syncDirectory(folder) }
    }

    /// The staging names: `.<name>.staging-<pid>-XXXXXX` (and `.old-` for a folder set aside
    /// where the file system cannot exchange two folders).
    static func makeStagingFolder(in parent: String, for name: String, kind: String = "staging") throws(OutputError) -> String {
        var template = Array("\(parent)/.\(name).\(kind)-\(getpid())-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw OutputError("\(parent)/\(name)", errno: errno)
        }
        return path(from: template)
    }

    /// A staging folder's parts, when `entry` is named like one.
    static func stagingName(_ entry: String) -> (name: String, kind: String, pid: Int32)? {
        guard entry.hasPrefix("."), entry.count > 8 else { return nil }
        let parts = entry.dropFirst().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let random = parts.last, random.count == 6,
              random.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
              let pid = Int32(parts[parts.count - 2]), pid > 0 else { return nil }
        let head = parts.dropLast(2).joined(separator: "-")
        for kind in ["staging", "old"] where head.hasSuffix(".\(kind)") {
            let name = String(head.dropLast(kind.count + 1))
            return name.isEmpty ? nil : (name, kind, pid)
        }
        return nil
    }

    /// Removes (or, for a folder set aside whose place is empty, puts back) the staging folders
    /// and staged files of runs that are gone: named by ``makeStagingFolder(in:for:kind:)`` or
    /// ``stage(_:for:newFileMode:)``, real directories or regular files (not links) owned by this
    /// user, their process no longer running. Anything else is left alone.
    public static func removeStaleStaging(in parent: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for entry in entries.sorted() {
            guard let staging = stagingName(entry), staging.pid != getpid() else { continue }
            guard kill(staging.pid, 0) != 0, errno == ESRCH else { continue }
            let path = "\(parent)/\(entry)"
            var status = stat()
            guard lstat(path, &status) == 0, status.st_uid == geteuid() else { continue }
            let kind = status.st_mode & S_IFMT
            guard kind == S_IFDIR || (kind == S_IFREG && staging.kind == "staging") else { continue }
            let target = "\(parent)/\(staging.name)"
            if staging.kind == "old", lstat(target, &status) != 0, errno == ENOENT {
                rename(path, target)
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// `renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)`: swaps two paths atomically (Linux
    /// 3.15+, glibc 2.28+; looked up at run time, as Swift's Glibc module does not declare it).
    /// False when it is not available or the file system does not support it.
    public static func exchange(_ a: String, _ b: String) -> Bool {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }
}
