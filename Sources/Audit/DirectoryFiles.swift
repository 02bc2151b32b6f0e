import Foundation
import PCIModel

/// ``SysfsFiles`` over a directory of the file system laid out like `/`: the only place the audit
/// and the snapshot touch files. `barproof audit --sysfs ROOT` and `barproof snapshot --root ROOT`
/// read through it, and so does the fixture round trip, so a written fixture is read back exactly
/// as the commands read it.
///
/// Reads stay in the tree and in bounds, whatever the tree holds:
///
/// - **Links stay inside the root.** Each component of a path is looked at with `lstat`; a
///   symbolic link is resolved against the directory holding it, as the kernel's own relative
///   links are (`sys/bus/pci/devices/0000:00:01.0 -> ../../../devices/pci0000:00/0000:00:01.0`).
///   A link whose target is absolute (in a copied tree it would lead onto this machine's own
///   `/sys`), or one whose `..` climbs above the root, is refused without being followed: bad
///   input (``AuditInputError``, exit 65) naming the path and the link. More than
///   ``maxLinks`` links on one path is reported as a symlink loop.
/// - **Only regular files are read**, opened with `O_NONBLOCK` (a FIFO or a device would block
///   or never end) and `O_NOFOLLOW` (the final component was resolved above; a link swapped in
///   since is refused by `open` itself), then checked with `fstat`.
/// - **Each file has a size limit** (``sizeLimit(of:)``): sysfs attributes are at most a page
///   (a `config` image at most 4,096 bytes), `/proc/iomem` and `/proc/interrupts` a few hundred
///   KiB on a large host. At
///   most one byte past the limit is read; a file over it is bad input naming the path.
public struct DirectoryFiles: SysfsFiles {
    public var root: String

    public init(root: String) {
        self.root = root
    }

    /// The largest `config` image sysfs has (`PCI_CFG_SPACE_EXP_SIZE`).
    public static let configLimit = 4096
    /// `proc/iomem`: a host with thousands of functions prints a few hundred KiB.
    public static let iomemLimit = 4 << 20
    /// `proc/interrupts`: a line per IRQ with a column per CPU, hundreds of KiB on a host with
    /// hundreds of CPUs and thousands of MSI-X vectors.
    public static let interruptsLimit = 4 << 20
    /// Every other attribute (`resource`, `vendor`, ..., `proc/cmdline`): sysfs attributes are at
    /// most a page, and a 17-line `resource` file is under 1 KiB.
    public static let attributeLimit = 16 << 10
    /// Links followed on one path before it is taken for a loop (the kernel's `MAXSYMLINKS`).
    public static let maxLinks = 40

    /// The most bytes `contents(of:)` accepts for `relative`.
    public static func sizeLimit(of relative: String) -> Int {
        if relative == HostInventory.iomemFile { return iomemLimit }
        if relative == HostFacts.interruptsFile { return interruptsLimit }
        if relative == "config" || relative.hasSuffix("/config") { return configLimit }
        return attributeLimit
    }

    /// `relative` under the root.
    public func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// Where a path leads.
    enum Resolved {
        /// The path, relative to the root, with no link left in it, and whether its final
        /// component is a link (only when `keepFinalLink`).
        case found(String, finalIsLink: Bool)
        case missing
    }

    private func refuse(_ relative: String, _ message: String) -> AuditInputError {
        AuditInputError(file: relative, message: message)
    }

    private func systemError(_ relative: String, _ code: Int32) -> Error {
        let reason = String(cString: strerror(code)).lowercased()
        if code == EACCES || code == EPERM { return UnreadableFile(path: relative, reason: reason) }
        return AuditInputError(file: relative, message: "cannot read: \(reason)")
    }

    /// Resolves `relative` component by component inside the root, following links (the final
    /// component too, unless `keepFinalLink`).
    func resolve(_ relative: String, keepFinalLink: Bool = false) throws -> Resolved {
        var pending = ArraySlice(relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init))
        var resolved: [String] = []
        var links = 0
        while let component = pending.popFirst() {
            if component == "." { continue }
            if component == ".." {
                guard !resolved.isEmpty else {
                    throw refuse(relative, "leads outside the root \(root) (through \"..\")")
                }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [component]
            let candidatePath = candidate.joined(separator: "/")
            var info = stat()
            guard lstat(path(candidatePath), &info) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR { return .missing }
                throw systemError(relative, code)
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                resolved = candidate
                continue
            }
            if keepFinalLink && pending.isEmpty { return .found(candidatePath, finalIsLink: true) }
            links += 1
            guard links <= Self.maxLinks else {
                throw refuse(relative, "symbolic link loop: more than \(Self.maxLinks) links followed (at \(candidatePath))")
            }
            let target = try readLink(candidatePath, for: relative)
            guard !target.hasPrefix("/") else {
                throw refuse(relative, "\(candidatePath) is a symbolic link to the absolute path \(target); "
                             + "links are followed only inside the root, and an absolute one would leave it")
            }
            // Resolved against the directory holding the link (`resolved`), then what was left.
            let targetComponents = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            var climbs = resolved.count
            for c in targetComponents {
                if c == ".." { climbs -= 1 } else if c != "." { break }
                if climbs < 0 {
                    throw refuse(relative, "\(candidatePath) is a symbolic link to \(target), which leads outside the root \(root)")
                }
            }
            pending = ArraySlice(targetComponents + Array(pending))
        }
        return .found(resolved.joined(separator: "/"), finalIsLink: false)
    }

    private func readLink(_ linkPath: String, for relative: String) throws -> String {
        var buffer = [Int8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path(linkPath), &buffer, buffer.count - 1)
        guard n >= 0 else { throw systemError(relative, errno) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The file's bytes, read until EOF (sysfs reports a size of 4096 for every attribute, so the
    /// size is not trusted) or one byte past ``sizeLimit(of:)``; nil when it does not exist. A
    /// file this user may not read (`EACCES`, `EPERM`, on the file or on a directory above it)
    /// throws ``UnreadableFile``; a link that leaves the root, a loop, a file that is not a
    /// regular file or is over its limit, or any other failure throws ``AuditInputError``.
    public func contents(of relative: String) throws -> [UInt8]? {
        guard case let .found(real, _) = try resolve(relative) else { return nil }
        let fd = open(path(real), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            if code == ELOOP { throw refuse(relative, "\(real) became a symbolic link while it was read") }
            throw systemError(relative, code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw systemError(relative, errno) }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            let kind: String
            switch type {
            case S_IFIFO: kind = "a FIFO"
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            case S_IFSOCK: kind = "a socket"
            case S_IFDIR: kind = "a directory"
            default: kind = "not a regular file"
            }
            throw refuse(relative, "is \(kind)\(real == relative ? "" : " (\(real))"); only regular files are read, as sysfs attributes are")
        }
        let limit = Self.sizeLimit(of: relative)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: min(limit + 1, 1 << 16))
        while out.count <= limit {
            let want = min(buffer.count, limit + 1 - out.count)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
            if n == 0 { break }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw systemError(relative, code)
            }
            out += buffer[0..<n]
        }
        guard out.count <= limit else {
            throw refuse(relative, "is larger than \(limit) bytes, the most barproof reads of this file")
        }
        return out
    }

    /// The target of the link at `relative` (the directories above it resolved inside the root),
    /// without following it: only its text is used (`driver`, `iommu_group`).
    public func linkTarget(of relative: String) -> String? {
        guard case let .found(real, finalIsLink)? = try? resolve(relative, keepFinalLink: true), finalIsLink else { return nil }
        return try? readLink(real, for: relative)
    }

    public func entries(of relative: String) throws -> [String]? {
        guard case let .found(real, _) = try resolve(relative) else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path(real), isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return try FileManager.default.contentsOfDirectory(atPath: path(real))
    }
}
