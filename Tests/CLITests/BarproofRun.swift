import Foundation
import TestSupport
import Testing

/// Runs the built `barproof` executable, as a user or CI would, and captures what it prints.
/// A thin wrapper of `ProgramRun`: a run past its deadline is killed, and recorded as a test
/// failure naming the command line and the limit.
struct BarproofRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Whether the run was killed at its deadline (the failure is already recorded).
    var timedOut = false
    /// Whether a signal ended the program (then `status` is the signal's number).
    var signalled = false
    /// Whether the run's signal was sent (the program was still running when it was due).
    var signalSent = false

    /// The deadline of a run unless the call gives one: the slowest run, `barproof prove Specs`,
    /// takes a few seconds.
    static let defaultTimeout: Duration = .seconds(120)

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

    /// Runs `barproof arguments` in `directory` (the repository by default).
    static func run(_ arguments: [String], in directory: URL = repository, signal: ProgramRun.Signal? = nil,
                    timeout: Duration = defaultTimeout, sourceLocation: SourceLocation = #_sourceLocation) throws -> BarproofRun {
        try run(program: executable, arguments, in: directory, signal: signal, timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Runs `program arguments` in `directory` (the repository by default), such as a schema validator.
    static func run(program: URL, _ arguments: [String], in directory: URL = repository, signal: ProgramRun.Signal? = nil,
                    timeout: Duration = defaultTimeout,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> BarproofRun {
        let run = try ProgramRun.run(program: program, arguments: arguments, in: directory, signal: signal, timeout: timeout)
        if run.timedOut { Issue.record(Comment(rawValue: run.timeoutMessage), sourceLocation: sourceLocation) }
        return BarproofRun(status: run.status, stdout: run.stdout, stderr: run.stderr, timedOut: run.timedOut,
                           signalled: run.signalled, signalSent: run.signalSent)
    }
}

/// A temporary directory holding spec files, removed at the end of a test.
final class SpecDirectory {
    let url: URL

    /// With an empty `proofs/` inside, for runs given `--proofs path("proofs")` (which must exist).
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-specs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("proofs"), withIntermediateDirectories: true)
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
