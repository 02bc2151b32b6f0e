import Foundation
import Synchronization

/// A progress line on standard error for runs that take a while: only on a terminal, only once
/// the run has lasted ``delay``, redrawn every ``interval`` by a thread of its own (so a long
/// step still shows), erased at the end; never on standard output or in a report file.
/// `--quiet` turns it off.
final class Progress: Sendable {
    static let delay: Duration = .seconds(2)
    static let interval: Duration = .milliseconds(250)

    private struct State {
        var latest = ""
        var drawn = ""
        var finished = false
    }

    private let enabled: Bool
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(quiet: Bool) {
        enabled = !quiet && isatty(2) == 1
        guard enabled else { return }
        let thread = Thread { [self] in tick() }
        thread.name = "barproof progress"
        thread.start()
    }

    /// Sets the current state; it is drawn on the next tick, once the run is old enough.
    func update(_ text: String) {
        guard enabled else { return }
        state.withLock { $0.latest = text }
    }

    /// Stops drawing and erases the line, if one was drawn.
    func finish() {
        guard enabled else { return }
        state.withLock { state in
            if !state.finished && !state.drawn.isEmpty { draw("\r\u{1B}[K") }
            state.finished = true
            state.drawn = ""
        }
    }

    private func tick() {
        while true {
            Thread.sleep(forTimeInterval: Double(Self.interval.components.attoseconds) / 1e18)
            let elapsed = ContinuousClock.now - started
            // Drawn under the lock, so that nothing is drawn after ``finish()`` erased the line.
            let finished = state.withLock { state -> Bool in
                if state.finished { return true }
                guard elapsed >= Self.delay, !state.latest.isEmpty else { return false }
                let text = "\(state.latest) (\(elapsed.components.seconds) s)"
                if text != state.drawn {
                    state.drawn = text
                    draw("\r\u{1B}[K" + text)
                }
                return false
            }
            if finished { return }
        }
    }

    private func draw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
