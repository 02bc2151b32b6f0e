import Foundation

/// ``SysfsFiles`` over a directory of the file system laid out like `/`: the only place the audit
/// touches files. `barproof audit --sysfs ROOT` reads through it, and so does the fixture round
/// trip, so a written fixture is read back exactly as the command reads it.
public struct DirectoryFiles: SysfsFiles {
    public var root: String

    public init(root: String) {
        self.root = root
    }

    /// `relative` under the root.
    public func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// The file's bytes, read until EOF (sysfs reports a size of 4096 for every attribute, so the
    /// size is not trusted); nil when it does not exist. A file this user may not read (`EACCES`,
    /// `EPERM`, on the file or on a directory above it) throws ``UnreadableFile``; any other
    /// failure throws the system error.
    public func contents(of relative: String) throws -> [UInt8]? {
        let path = path(relative)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: return nil
            case EACCES, EPERM: throw UnreadableFile(path: relative, reason: String(cString: strerror(code)).lowercased())
            default: throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EACCES || code == EPERM {
                    throw UnreadableFile(path: relative, reason: String(cString: strerror(code)).lowercased())
                }
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
            out += buffer[0..<n]
        }
        return out
    }

    public func linkTarget(of relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path(relative))
    }

    public func entries(of relative: String) throws -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path(relative), isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        return try FileManager.default.contentsOfDirectory(atPath: path(relative))
    }
}
