import Foundation
import Synchronization
import Testing
import Z3Kit

/// Factoring a 62-bit semiprime with 64-bit multiplication: far beyond what Z3 4.8.12 solves in
/// a test (the `z3` CLI gives up at its 15 s limit on this machine). Every check on it must end
/// as `unknown`, never `sat` or `unsat`.
///
/// `guardMilliseconds` is a safety timeout so that a lost interrupt fails the test (by being slow)
/// instead of hanging it.
func hardFactoringSolver(_ context: Context, guardMilliseconds: UInt32? = 20_000) throws -> Solver {
    let p: UInt64 = 2_147_483_647  // 2^31 - 1, prime
    let q: UInt64 = 2_147_483_629  // prime
    let x = try context.bitVectorConstant("x", width: 64)
    let y = try context.bitVectorConstant("y", width: 64)
    let solver = try Solver(context)
    solver.timeoutMilliseconds = guardMilliseconds
    try solver.assert(x > context.bv64(1))
    try solver.assert(y > context.bv64(1))
    try solver.assert(x <= y)
    try solver.assert(x.multipliesWithoutOverflow(y))
    try solver.assert((x * y) == context.bv64(p * q))
    return solver
}

/// Reasons Z3 gives for an interrupted check: 4.8.12 says "interrupted" or "canceled" depending on
/// where the check was; Z3Kit says "canceled" for a check it skipped for a cancelled task.
private let interruptReasons: Set<String> = ["interrupted", "canceled", "cancelled"]

/// A one-shot mailbox between a worker thread or task and the test.
final class Mailbox<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    func put(_ value: Value) { slot.withLock { $0 = value } }
    var value: Value? { slot.withLock { $0 } }

    /// Polls until a value arrives or `timeout` passes.
    func wait(timeout: Duration) async throws -> Value? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value { return value }
            try await Task.sleep(for: .milliseconds(5))
        }
        return value
    }

    /// Polls from a plain thread (blocking it) until a value arrives or `timeout` passes.
    func waitBlocking(timeout: Duration) -> Value? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value { return value }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return value
    }
}

/// What the interrupting side saw: whether the check was still running when it struck, and when.
private struct Strike: Sendable {
    let checkWasRunning: Bool
    let at: ContinuousClock.Instant
}

/// What the checking side saw: the verdict (or an error), and when the check returned.
private struct Finish: Sendable {
    let verdict: Result<Verdict, Z3Error>
    let at: ContinuousClock.Instant
}

/// On a dedicated thread (not the cooperative pool, which a blocking check may starve): waits for
/// `started`, lets the check run for `delay` seconds, then calls `strike` and records when.
private func strikeLater(after started: Mailbox<Bool>, finished: Mailbox<Finish>, delay: TimeInterval,
                         into strike: Mailbox<Strike>, _ body: @escaping @Sendable () -> Void) {
    Thread.detachNewThread {
        guard started.waitBlocking(timeout: .seconds(60)) == true else { return }
        Thread.sleep(forTimeInterval: delay)
        let running = finished.value == nil
        let at = ContinuousClock.now
        body()
        strike.put(Strike(checkWasRunning: running, at: at))
    }
}

private func asZ3Error(_ error: any Error) -> Z3Error {
    error as? Z3Error ?? Z3Error(code: 0, message: "\(error)", operation: "test set-up")
}

// The interrupting and the checking side each record their own time, so the measured delay is
// Z3's, not the time the test's task waited for a thread.
extension LongRunning {
@Suite("Timeouts and interrupts end a hard check as unknown", .timeLimit(.minutes(1)))
struct TimeoutAndInterruptTests {
    @Test("a 1 ms timeout on a hard query returns unknown, quickly")
    func oneMillisecondTimeout() throws {
        let context = Context()
        let solver = try hardFactoringSolver(context)
        solver.timeoutMilliseconds = 1
        let clock = ContinuousClock()
        let began = clock.now
        let verdict = Verdict(try solver.check())
        let elapsed = clock.now - began
        #expect(verdict == .unknown(reason: "timeout") || verdict == .unknown(reason: "canceled"), "got \(verdict)")
        #expect(elapsed < .seconds(5), "a 1 ms timeout took \(elapsed)")
    }

    @Test("clearing the timeout lets an easy check run to sat")
    func clearedTimeout() throws {
        let context = Context()
        let x = try context.bitVectorConstant("x", width: 64)
        let solver = try Solver(context)
        solver.timeoutMilliseconds = 1
        solver.timeoutMilliseconds = nil
        #expect(solver.timeoutMilliseconds == nil)
        try solver.assert(x * context.bv64(3) == context.bv64(21))
        #expect(Verdict(try solver.check()) == .sat)
    }

    // Regression: setting the seed on a solver that had been used made Z3 reject the whole
    // parameter set ("unknown parameter 'smt.random_seed'"), silently, so the timeout was lost too.
    @Test("the timeout still applies after the random seed is set on a used solver")
    func timeoutSurvivesSeedOnUsedSolver() throws {
        let context = Context()
        let solver = try hardFactoringSolver(context, guardMilliseconds: 10_000)
        solver.randomSeed = 42
        solver.timeoutMilliseconds = 1
        let clock = ContinuousClock()
        let began = clock.now
        let verdict = Verdict(try solver.check())
        let elapsed = clock.now - began
        #expect(verdict.isUnknown, "got \(verdict)")
        #expect(elapsed < .seconds(2), "the 1 ms timeout was not applied: the check took \(elapsed)")
    }

    @Test("interrupt() from another thread ends a running check as unknown, promptly")
    func interruptFromAnotherThread() async throws {
        let handle = Mailbox<InterruptHandle>()
        let started = Mailbox<Bool>()
        let finished = Mailbox<Finish>()
        let strike = Mailbox<Strike>()
        // The context lives on its own thread; only the Sendable handle crosses over.
        Thread.detachNewThread {
            do {
                let context = Context()
                let solver = try hardFactoringSolver(context)
                handle.put(context.interruptHandle)
                started.put(true)
                let verdict = Verdict(try solver.check())
                finished.put(Finish(verdict: .success(verdict), at: .now))
            } catch {
                finished.put(Finish(verdict: .failure(asZ3Error(error)), at: .now))
                started.put(false)
            }
        }
        strikeLater(after: started, finished: finished, delay: 0.5, into: strike) {
            handle.value?.interrupt()
        }
        let finish = try #require(try await finished.wait(timeout: .seconds(60)), "the check did not end")
        let struck = try #require(try await strike.wait(timeout: .seconds(5)), "the interrupt was never sent")
        #expect(struck.checkWasRunning, "the hard check ended by itself before the interrupt")
        let verdict = try finish.verdict.get()
        #expect(verdict.isUnknown, "got \(verdict)")
        if case .unknown(let reason) = verdict { #expect(interruptReasons.contains(reason), "reason \(reason)") }
        let delay = finish.at - struck.at
        #expect(delay < .seconds(5), "the check took \(delay) to stop after the interrupt")
    }

    @Test("cancelling the task running checkCancellable() ends the check as unknown, promptly")
    func taskCancellation() async throws {
        let started = Mailbox<Bool>()
        let finished = Mailbox<Finish>()
        let strike = Mailbox<Strike>()
        let task = Task.detached {
            do {
                let context = Context()
                let solver = try hardFactoringSolver(context)
                started.put(true)
                let verdict = Verdict(try await solver.checkCancellable())
                finished.put(Finish(verdict: .success(verdict), at: .now))
            } catch {
                finished.put(Finish(verdict: .failure(asZ3Error(error)), at: .now))
                started.put(false)
            }
        }
        strikeLater(after: started, finished: finished, delay: 0.5, into: strike) {
            task.cancel()
        }
        await task.value
        let finish = try #require(finished.value, "the task ended without a result")
        let struck = try #require(try await strike.wait(timeout: .seconds(5)), "the task was never cancelled")
        #expect(struck.checkWasRunning, "the hard check ended by itself before the cancellation")
        let verdict = try finish.verdict.get()
        #expect(verdict.isUnknown, "got \(verdict)")
        if case .unknown(let reason) = verdict { #expect(interruptReasons.contains(reason), "reason \(reason)") }
        let delay = finish.at - struck.at
        #expect(delay < .seconds(5), "the check took \(delay) to stop after cancellation")
    }

    // Regression: an interrupt that arrives before Z3 is inside the check is lost, so a task that
    // was already cancelled ran its check to the end.
    @Test("checkCancellable() in an already-cancelled task returns unknown at once")
    func alreadyCancelledTask() async throws {
        let task = Task.detached { () throws -> (Verdict, Duration, Bool) in
            try? await Task.sleep(for: .seconds(60))  // returns early once cancelled
            let cancelled = Task.isCancelled
            let context = Context()
            let solver = try hardFactoringSolver(context, guardMilliseconds: 10_000)
            let clock = ContinuousClock()
            let began = clock.now
            let verdict = Verdict(try await solver.checkCancellable())
            return (verdict, clock.now - began, cancelled)
        }
        task.cancel()
        let (verdict, elapsed, cancelled) = try await task.value
        #expect(cancelled)
        #expect(verdict.isUnknown, "got \(verdict)")
        #expect(elapsed < .seconds(2), "a cancelled task ran its check for \(elapsed)")
    }

    // Regression: Z3_interrupt outside a check left the context cancelled until the next check:
    // model evaluation failed with "canceled", and an assertion added to a used solver was
    // silently dropped, so the next check returned a model that violated it.
    @Test("an interrupt while no check runs leaves the context working")
    func idleInterruptIsHarmless() throws {
        let context = Context()
        let x = try context.bitVectorConstant("x", width: 8)
        let y = try context.bitVectorConstant("y", width: 8)
        let solver = try Solver(context)
        try solver.assert(x == context.bitVector(7, width: 8))
        let model = try #require(try solver.check().model)
        context.interruptHandle.interrupt()
        #expect(try model.value(x + context.bitVector(1, width: 8)) == 8)
        try solver.assert(y == context.bitVector(3, width: 8))
        let next = try #require(try solver.check().model)
        #expect(try next.value(y) == 3, "an assertion made after an idle interrupt was dropped")
        #expect(try next.value(x) == 7)
    }

    @Test("interrupts hammered at a stream of short checks never give a wrong model")
    func interruptStorm() throws {
        let context = Context()
        let x = try context.bitVectorConstant("x", width: 16)
        let solver = try Solver(context)
        let handle = context.interruptHandle
        let stop = Mailbox<Bool>()
        Thread.detachNewThread {
            while stop.value == nil {
                handle.interrupt()
                Thread.sleep(forTimeInterval: 0.000_05)
            }
        }
        defer { stop.put(true) }
        var answered = 0
        for round in 0..<300 {
            let value = UInt64(round * 7 + 1)
            try solver.push()
            try solver.assert(x == context.bitVector(value, width: 16))
            switch try solver.check() {
            case .sat(let model):
                answered += 1
                let seen = try model.value(x)
                #expect(seen == value, "round \(round): the model says x = \(seen), the assertion x = \(value)")
            case .unsat:
                Issue.record("round \(round): x = \(value) alone cannot be unsat")
            case .unknown:
                break  // interrupted: allowed
            }
            try solver.pop()
        }
        stop.put(true)
        #expect(answered > 0, "every check was interrupted: the models were never looked at")
        // Once the storm is over, the context works normally.
        try solver.assert(x == context.bitVector(0xBEEF, width: 16))
        let model = try #require(try solver.check().model)
        #expect(try model.value(x) == 0xBEEF)
        print("interrupt storm: \(answered) of 300 checks answered sat")
    }
}
}
