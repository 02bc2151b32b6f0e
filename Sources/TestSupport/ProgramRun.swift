import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a program by a test, with a kill deadline: the one way the test targets launch a
/// process, so no test can hang on a program that never ends.
///
/// Swift Testing's `.timeLimit` cannot stop a test blocked in a synchronous call (it only records
/// the overrun and cancels the task), so the runner kills the program itself: at `timeout` it sends
/// SIGTERM, and SIGKILL `killGrace` later if the program is still running. Output goes to files,
/// not pipes, so a chatty program cannot block on a full pipe while the runner waits for it.
/// Standard input is `/dev/null`.
public struct ProgramRun: Sendable, CustomStringConvertible {
    /// The program and its arguments, as launched.
    public var command: [String]
    /// The exit status, or the number of the signal that ended the program (see `signalled`).
    public var status: Int32
    /// Whether a signal ended the program (then `status` is the signal number).
    public var signalled: Bool
    public var stdout: String
    public var stderr: String
    /// Whether the program was still running at the deadline and was killed.
    public var timedOut: Bool
    /// The deadline it ran under.
    public var timeout: Duration
    /// Wall time from launch to exit.
    public var elapsed: Duration
    /// Whether the run's ``Signal`` was sent (the program was still running when it was due).
    public var signalSent = false

    /// A signal to send the program while it runs, as a user's Ctrl-C or a kill would.
    public struct Signal: Sendable {
        public var number: Int32
        /// How long after the launch, or after `when` first holds.
        public var after: Duration
        /// When given, polled every 2 ms from the launch; the delay counts from the first time it holds.
        public var when: (@Sendable () -> Bool)?
        /// Called just before the signal is sent, to look at what the program has done so far.
        public var before: (@Sendable () -> Void)?

        public init(_ number: Int32, after: Duration, when: (@Sendable () -> Bool)? = nil,
                    before: (@Sendable () -> Void)? = nil) {
            self.number = number
            self.after = after
            self.when = when
            self.before = before
        }
    }

    /// The default deadline; generous, since the machine may be shared and loaded.
    public static let defaultTimeout: Duration = .seconds(120)
    /// Time between SIGTERM and SIGKILL once the deadline has passed.
    public static let killGrace: Duration = .seconds(2)

    /// Runs `program arguments` in `directory` (this process's current directory when nil) and
    /// waits for it to exit, at most `timeout`; then it is killed and the result says `timedOut`.
    /// `environment` adds to (or overrides) this process's environment; nil inherits it unchanged.
    /// `signal`, when given, is sent to the program (not its group) once it is due, unless the
    /// program has exited by then; the deadline still counts from the launch.
    /// Throws only when the program cannot be launched or its output cannot be read.
    public static func run(program: URL, arguments: [String] = [], in directory: URL? = nil,
                           environment: [String: String]? = nil, signal: Signal? = nil,
                           timeout: Duration = defaultTimeout) throws -> ProgramRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("program-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        defer { try? outHandle.close() }
        let errHandle = try FileHandle(forWritingTo: err)
        defer { try? errHandle.close() }

        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }

        let clock = ContinuousClock()
        let start = clock.now
        try withSignalsUnblocked { try process.run() }
        var timedOut = false
        var signalSent = false
        var hasExited = false
        if let signal {
            var due = start + signal.after
            if let condition = signal.when {
                // Poll until it holds, the program exits, or the deadline comes.
                while !condition() {
                    if exited.wait(timeout: .now() + 0.002) == .success {
                        hasExited = true
                        break
                    }
                    if clock.now - start > timeout { break }
                }
                due = clock.now + signal.after
            }
            if !hasExited, exited.wait(timeout: .now() + max(.zero, min(due, start + timeout) - clock.now).timeInterval) == .timedOut {
                signal.before?()
                kill(process.processIdentifier, signal.number)
                signalSent = true
            } else {
                hasExited = true
            }
        }
        if !hasExited, exited.wait(timeout: .now() + max(.zero, timeout - (clock.now - start)).timeInterval) == .timedOut {
            timedOut = true
            // Foundation starts the program as the leader of a process group of its own
            // (POSIX_SPAWN_SETPGROUP): signal the group, so that whatever it started goes too.
            let group = -process.processIdentifier
            kill(group, SIGTERM)
            if exited.wait(timeout: .now() + killGrace.timeInterval) == .timedOut {
                kill(group, SIGKILL)
                // SIGKILL cannot be caught; only a process stuck in the kernel outlives it.
                if exited.wait(timeout: .now() + 30) == .timedOut {
                    throw Unkillable(command: [program.path] + arguments, pid: process.processIdentifier)
                }
            }
        }
        let elapsed = clock.now - start
        // The termination handler may run before `Process` has recorded the status.
        process.waitUntilExit()
        try outHandle.synchronize()
        try errHandle.synchronize()
        return ProgramRun(command: [program.path] + arguments, status: process.terminationStatus,
                          signalled: process.terminationReason == .uncaughtSignal,
                          stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                          timedOut: timedOut, timeout: timeout, elapsed: elapsed, signalSent: signalSent)
    }

    /// Runs `body` (the launch) with no signal blocked on this thread, so the program starts with
    /// none blocked. Foundation's `Process` does not reset the signal mask of the program it starts,
    /// and the threads Swift concurrency runs tests on block nearly every signal: a program started
    /// from a test would inherit SIGTERM blocked (it would outlive `terminate()`), and SIGALRM
    /// blocked (a solver's own time limit might never fire). The mask is restored at once; nothing
    /// in the test process waits for a signal in that window (Foundation learns of the program's
    /// exit from a socket, not from SIGCHLD).
    static func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try body()
    }

    /// The command line, each word quoted for a POSIX shell where it needs it.
    public var commandLine: String { command.map(Self.shellQuoted).joined(separator: " ") }

    /// What a test records when the program overran: the command line and the limit.
    public var timeoutMessage: String {
        "`\(commandLine)` did not finish within \(Self.seconds(timeout)) and was killed (SIGTERM, then SIGKILL after \(Self.seconds(Self.killGrace)))"
    }

    public var description: String {
        let ending = timedOut ? "timed out after \(Self.seconds(timeout))" : signalled ? "signal \(status)" : "exit \(status)"
        return "`\(commandLine)`: \(ending)\nstdout: \(stdout)\nstderr: \(stderr)"
    }

    /// The program did not exit even after SIGKILL.
    public struct Unkillable: Error, CustomStringConvertible {
        public var command: [String]
        public var pid: Int32
        public var description: String { "process \(pid) (\(command.joined(separator: " "))) survived SIGKILL for 30 s" }
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0) }
        if plain && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.timeInterval
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

extension Duration {
    /// The duration in seconds, as `DispatchTime` arithmetic wants it.
    var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
