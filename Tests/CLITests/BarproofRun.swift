import Foundation

/// Runs the built `barproof` executable, as a user or CI would, and captures what it prints.
struct BarproofRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The repository root, from this file's path (Tests/CLITests/BarproofRun.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The executable built beside the test bundle (`swift test` builds every product);
    /// `BARPROOF_BINARY` overrides it.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["BARPROOF_BINARY"] { return URL(fileURLWithPath: path) }
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("barproof")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("barproof")
    }

    /// A run that outlived its deadline: the child was killed (SIGKILL) and the test fails.
    struct TimedOut: Error, CustomStringConvertible {
        var command: String
        var seconds: Double
        var description: String { "`\(command)` still ran after \(seconds) s; killed it (SIGKILL)" }
    }

    /// Runs `barproof arguments` in `directory` (the repository by default).
    static func run(_ arguments: [String], in directory: URL = repository, timeout: Double = 120) throws -> BarproofRun {
        try run(program: executable, arguments, in: directory, timeout: timeout)
    }

    /// Runs `program arguments` in `directory` (the repository by default), such as a schema
    /// validator. After `timeout` seconds the child is killed and ``TimedOut`` thrown, so a hang
    /// fails the test instead of stalling the suite.
    static func run(program: URL, _ arguments: [String], in directory: URL = repository,
                    timeout: Double = 120) throws -> BarproofRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            try? outHandle.close()
            try? errHandle.close()
            throw TimedOut(command: ([program.lastPathComponent] + arguments).joined(separator: " "), seconds: timeout)
        }
        try outHandle.close()
        try errHandle.close()
        return BarproofRun(status: process.terminationStatus,
                           stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                           stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

/// A temporary directory holding spec files, removed at the end of a test.
final class SpecDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-specs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `<name>.yaml` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name + ".yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }
}
