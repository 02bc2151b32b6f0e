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

    public func contents(of relative: String) throws -> [UInt8]? {
        let path = path(relative)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // sysfs reports a size of 4096 for every attribute; read until EOF rather than trusting it.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        return [UInt8](try handle.readToEnd() ?? Data())
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
