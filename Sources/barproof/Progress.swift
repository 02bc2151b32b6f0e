import Foundation
import Synchronization

/// A progress line on standard error for runs that take a while: only on a terminal, only once
/// the run has lasted ``delay``, redrawn at most every ``interval``, erased at the end; never on
/// standard output or in a report file. `--quiet` turns it off.
final class Progress: Sendable {
    static let delay: Duration = .seconds(2)
    static let interval: Duration = .milliseconds(250)

    private struct State {
        var latest = ""
        var drawn = false
        var lastDraw: ContinuousClock.Instant?
    }

    private let enabled: Bool
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(quiet: Bool) {
        enabled = !quiet && isatty(2) == 1
    }

    /// Shows `text` as the current state, once the run is old enough.
    func update(_ text: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            state.latest = text
            guard now - started >= Self.delay else { return nil }
            if let last = state.lastDraw, now - last < Self.interval { return nil }
            state.lastDraw = now
            state.drawn = true
            return text
        }
        if let line { draw("\r\u{1B}[K" + line) }
    }

    /// Erases the line, if one was drawn.
    func finish() {
        guard enabled else { return }
        let drawn = state.withLock { state in
            defer { state.drawn = false }
            return state.drawn
        }
        if drawn { draw("\r\u{1B}[K") }
    }

    private func draw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
