import CSignalPipe
import Foundation
import Synchronization
import Z3Kit

/// How a run ends early: SIGINT and SIGTERM, and the run's time limit.
///
/// On the first SIGINT or SIGTERM every Z3 check running anywhere in the process is interrupted
/// and every later one answers `unknown` at once (``ProcessStop``), so the command finishes with
/// what it has decided: it prints its report, writes no records, and exits 130 (SIGINT) or 143
/// (SIGTERM) through the executable's `guarded(_:)`. Should the command not have exited
/// ``grace`` after the signal (or on a second signal), the process exits at once with that code,
/// but never in the middle of a ``critical(_:)`` section, which is how a multi-step commit (a
/// records folder swapped in) stays whole.
public enum RunControl {
    /// How long a command has, after a signal, to print what it decided and exit by itself.
    static let grace: Duration = .milliseconds(800)

    private struct State {
        var installed = false
        var signal: Int32?
    }

    private static let state = Mutex(State())
    /// Held while a file commit is under way; a forced exit waits for it.
    private static let commit = NSLock()

    /// Installs the handlers (once per process) and starts the thread that acts on them.
    public static func install() {
        let first = state.withLock { state -> Bool in
            defer { state.installed = true }
            return !state.installed
        }
        guard first else { return }
        let descriptor = barproof_signal_pipe_install()
        guard descriptor >= 0 else {
            printError("warning: cannot install signal handlers (\(String(cString: strerror(errno)))); Ctrl-C ends the run at once")
            return
        }
        let thread = Thread { listen(descriptor) }
        thread.name = "barproof signals"
        thread.start()
    }

    /// The signal that stopped the run, if one did.
    static var signal: Int32? { state.withLock { $0.signal } }

    /// 130 after SIGINT, 143 after SIGTERM (128 + the signal's number), nil otherwise.
    public static var interruptedExitCode: Int32? { signal.map { 128 + $0 } }

    /// Runs `body` so that a forced exit waits for it: for the renames that swap a set of files in.
    static func critical<T>(_ body: () throws -> T) rethrows -> T {
        commit.lock()
        defer { commit.unlock() }
        return try body()
    }

    private static func listen(_ descriptor: Int32) {
        var byte: UInt8 = 0
        var deadline: ContinuousClock.Instant?
        while true {
            // Before a signal, block; after one, wait for a second one at most until the grace ends.
            if let deadline {
                let left = deadline - .now
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                if poll(&poller, 1, milliseconds) <= 0 { forceExit(reason: "did not stop within \(grace)") }
            }
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            let number = Int32(byte)
            let isFirst = state.withLock { state -> Bool in
                if state.signal != nil { return false }
                state.signal = number
                return true
            }
            if !isFirst { forceExit(reason: "second signal") }
            ProcessStop.request("interrupted (\(name(of: number)))")
            deadline = .now + grace
        }
    }

    /// Ends the process with `code` at once (no exit handlers), after any ``critical(_:)`` section.
    public static func exit(_ code: Int32) -> Never {
        commit.lock()
        _exit(code)
    }

    private static func forceExit(reason: String) -> Never {
        commit.lock()
        let code = interruptedExitCode ?? 130
        let text = "barproof: interrupted (\(name(of: code - 128))); \(reason): stopping now, nothing half-written\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        _exit(code)
    }

    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

/// The run's time limit (`--time-limit`): one deadline for every check of the run.
enum RunClock {
    private static let started = ContinuousClock.now

    /// The instant a time limit of `seconds`, counted from the start of the process, runs out.
    static func deadline(seconds: Double?) -> ContinuousClock.Instant? {
        seconds.map { started + .milliseconds(Int(($0 * 1000).rounded(.up))) }
    }
}
