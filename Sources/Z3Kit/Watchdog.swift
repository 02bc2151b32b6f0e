import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ends Z3 checks whose deadline has passed, with `Z3_interrupt`: barproof's own time limit.
///
/// Z3's `timeout` parameter is never set. From Z3 4.8.10 every check with a timeout runs a
/// `scoped_timer` on a thread pool that can deadlock: threads block in `pthread_mutex_lock` inside
/// libz3 and the check never returns (Z3 pull request 5371 fixed one race in 2021; issue 5990
/// reports the deadlock in 2022; Debian ships 4.8.12). So a limit is kept here instead: one thread per process, on the
/// monotonic clock, sleeps until the earliest armed deadline and interrupts that check's context
/// through its ``InterruptGate`` (which repeats the interrupt until the check returns).
///
/// A deadline is the caller's (an instant of `ContinuousClock`), so a limit on a whole check or a
/// whole run is one deadline shared by all of its queries.
public final class Watchdog: Sendable {
    /// The process's watchdog; its thread starts with the first armed deadline.
    public static let shared = Watchdog()

    private struct Entry {
        var deadline: ContinuousClock.Instant
        var gate: InterruptGate
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var started = false
        /// Bumped whenever the earliest deadline may have moved earlier, so the sleeper re-reads.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    private init() {}

    /// Interrupts the check running behind `gate` once `deadline` passes, until ``disarm(_:)``.
    func arm(_ deadline: ContinuousClock.Instant, _ gate: InterruptGate) -> UInt64 {
        let (id, start) = state.withLock { state -> (UInt64, Bool) in
            state.nextID &+= 1
            state.entries[state.nextID] = Entry(deadline: deadline, gate: gate)
            state.generation &+= 1
            let start = !state.started
            state.started = true
            return (state.nextID, start)
        }
        if start {
            startThread()
        } else {
            wakeup.signal()
        }
        return id
    }

    func disarm(_ id: UInt64) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    /// How many deadlines are armed now (for tests).
    public var armedCount: Int { state.withLock { $0.entries.count } }

    /// The watchdog's own thread (a plain pthread: it sleeps most of the time, and must not take
    /// one of Dispatch's worker threads).
    private func startThread() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let made = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let watchdog = Unmanaged<Watchdog>.fromOpaque(argument).takeRetainedValue()
            watchdog.run()
            return nil
        }, box)
        if made == 0 {
            pthread_detach(thread)
        } else {
            // No thread: fall back on Dispatch so that deadlines still fire.
            Unmanaged<Watchdog>.fromOpaque(box).release()
            DispatchQueue(label: "barproof.watchdog").async { [self] in run() }
        }
    }

    private func run() -> Never {
        let clock = ContinuousClock()
        while true {
            let now = clock.now
            let (due, earliest) = state.withLock { state -> ([InterruptGate], ContinuousClock.Instant?) in
                var due: [InterruptGate] = []
                var earliest: ContinuousClock.Instant?
                for entry in state.entries.values {
                    if entry.deadline <= now {
                        due.append(entry.gate)
                    } else if earliest.map({ entry.deadline < $0 }) ?? true {
                        earliest = entry.deadline
                    }
                }
                return (due, earliest)
            }
            // The gate interrupts only while a check runs, and keeps interrupting until it returns;
            // an entry stays armed until its check disarms it, so a due entry is struck again on
            // the next round (every 10 ms) if the check somehow outlived the first strike.
            for gate in due { gate.interrupt() }
            let wait: Duration
            if !due.isEmpty {
                wait = .milliseconds(10)
            } else if let earliest {
                wait = min(earliest - now, .seconds(1))
            } else {
                wait = .seconds(1)
            }
            // A semaphore's timed wait measures the monotonic clock (DispatchTime is uptime-based).
            let nanoseconds = max(0, wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000)
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        }
    }
}

/// What bounds one Z3 check: a deadline on the monotonic clock and a deterministic resource limit.
public struct QueryLimits: Hashable, Sendable {
    /// The check is interrupted at this instant and answers `unknown` ("timeout").
    public var deadline: ContinuousClock.Instant?
    /// Z3's resource limit (`rlimit`) for each check: a count of solver steps, the same on every
    /// machine, so a limit hit is reproducible in CI. The check answers `unknown`
    /// ("max. resource limit exceeded").
    public var resourceLimit: UInt32?

    public init(deadline: ContinuousClock.Instant? = nil, resourceLimit: UInt32? = nil) {
        self.deadline = deadline
        self.resourceLimit = resourceLimit
    }

    /// No limit.
    public static let none = QueryLimits()

    /// These limits with the deadline moved to `other` if that is earlier.
    public func until(_ other: ContinuousClock.Instant?) -> QueryLimits {
        var limits = self
        limits.deadline = QueryLimits.earlier(deadline, other)
        return limits
    }

    /// The earlier of two optional deadlines (nil: none).
    public static func earlier(_ a: ContinuousClock.Instant?, _ b: ContinuousClock.Instant?) -> ContinuousClock.Instant? {
        switch (a, b) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b): return b
        }
    }

    /// Whether the deadline has passed.
    public var expired: Bool { deadline.map { ContinuousClock.now >= $0 } ?? false }
}

/// A request to stop all solving in this process (SIGINT, SIGTERM, or a run's time limit):
/// every check running now is interrupted, and every later one answers `unknown` at once.
///
/// Only barproof's own handler requests it; Z3's `ctrl_c` handling is off in every context,
/// because Z3 4.8.12 installs and restores a process-wide SIGINT handler around each check, which
/// races between threads (a handler left pointing at freed memory crashed `prove`).
public enum ProcessStop {
    private static let reason = Mutex<String?>(nil)
    private static let gates = Mutex<[ObjectIdentifier: WeakGate]>([:])

    private struct WeakGate: @unchecked Sendable {
        weak var gate: InterruptGate?
    }

    /// Why solving was stopped, or nil while it has not been.
    public static var requested: String? { reason.withLock { $0 } }

    /// Stops all solving, now and from now on, giving `why` as the reason of every `unknown`.
    public static func request(_ why: String) {
        let first = reason.withLock { reason -> Bool in
            if reason != nil { return false }
            reason = why
            return true
        }
        guard first else { return }
        let live = gates.withLock { $0.values.compactMap(\.gate) }
        for gate in live { gate.interrupt() }
    }

    static func register(_ gate: InterruptGate) {
        gates.withLock { $0[ObjectIdentifier(gate)] = WeakGate(gate: gate) }
    }

    static func unregister(_ gate: InterruptGate) {
        _ = gates.withLock { $0.removeValue(forKey: ObjectIdentifier(gate)) }
    }
}
