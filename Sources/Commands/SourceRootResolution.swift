import Foundation
import Reports

/// Where SARIF locations are relative to (`--srcroot`, else the git top level, else the current
/// directory), and the host names and paths the CI outputs print.
enum SourceRootResolution {
    /// How long `git rev-parse --show-toplevel` may take before barproof walks up for `.git` instead.
    static let gitTimeout: DispatchTimeInterval = .seconds(3)

    /// `--srcroot DIR` (an existing directory), else the git top level of the current directory
    /// (`git rev-parse --show-toplevel` under a time limit, else the nearest parent holding a
    /// `.git` directory or file), else the current directory.
    static func resolve(_ given: String?) throws -> SourceRoot {
        let cwd = FileManager.default.currentDirectoryPath
        if let given {
            let absolute = given.hasPrefix("/") ? given : cwd + "/" + given
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError(message: "--srcroot \(given): no such directory")
            }
            return SourceRoot(path: absolute)
        }
        if let top = gitTopLevel(in: cwd) { return SourceRoot(path: top) }
        var directory = SourceRoot.resolved(cwd)
        while true {
            if FileManager.default.fileExists(atPath: directory + "/.git") { return SourceRoot(path: directory) }
            if directory == "/" || directory.isEmpty { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return SourceRoot(path: cwd)
    }

    /// `git rev-parse --show-toplevel` run in `directory`, or nil when git is missing, fails, or
    /// has not answered within ``gitTimeout`` (it is then killed).
    static func gitTopLevel(in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--show-toplevel"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { return nil }
        // The path is one short line: it fits the pipe, so the process never blocks on it.
        if done.wait(timeout: .now() + gitTimeout) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + .milliseconds(500)) == .timedOut { kill(process.processIdentifier, SIGKILL) }
            return nil
        }
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("/") ? text : nil
    }

    /// The `<host>` of `barproof/audit/<host>/`: for the live machine (`--sysfs /`) its host
    /// name; for a snapshot or a copied tree, its path relative to the source root when inside it,
    /// else as given (without a leading `./` or trailing `/`).
    static func hostLabel(_ given: String, liveRoot: Bool, root: SourceRoot) -> String {
        if liveRoot {
            var name = [UInt8](repeating: 0, count: 256)
            if name.withUnsafeMutableBufferPointer({ gethostname(UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 255) }) == 0 {
                let host = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
                if !host.isEmpty { return host }
            }
        }
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = SourceRoot.resolved(given.hasPrefix("/") ? given : cwd + "/" + given)
        if let relative = root.relativePath(absolute) { return relative }
        return normalized(given)
    }

    /// A path without `./` at its start, doubled slashes or a trailing slash.
    static func normalized(_ path: String) -> String {
        var text = path
        while text.hasPrefix("./") { text.removeFirst(2) }
        while text.contains("//") { text = text.replacingOccurrences(of: "//", with: "/") }
        if text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// A file an option names must exist and be a regular file (a FIFO or a device is never read):
/// else a usage error, so that a typo cannot turn the option off.
func requireRegularFile(_ path: String, option: String) throws {
    var status = stat()
    guard stat(path, &status) == 0 else { throw UsageError(message: "\(option) \(path): no such file") }
    guard status.st_mode & S_IFMT == S_IFREG else { throw UsageError(message: "\(option) \(path): not a regular file") }
}
