import Foundation
import TestSupport
import Testing
import Z3Kit

/// barproof's own limits: Z3's `timeout` parameter deadlocks in 4.8.12, so deadlines are kept by
/// the ``Watchdog`` and the deterministic limit is Z3's `rlimit`.
extension LongRunning {
@Suite("Limits without Z3's timer", .timeLimit(.minutes(2)))
struct WatchdogTests {
    @Test("deadlines of 1-20 ms end hard checks as unknown (timeout) within the deadline plus a second, 60 times")
    func deadlinesEndHardChecks() throws {
        var generator = SplitMix64(seed: 11)
        for round in 0..<60 {
            let context = Context()
            let solver = try hardFactoringSolver(context, guardMilliseconds: nil)
            let milliseconds = Int(generator.next() % 20) + 1
            let began = ContinuousClock.now
            solver.limits = QueryLimits(deadline: began + .milliseconds(milliseconds))
            let verdict = Verdict(try solver.check())
            let elapsed = ContinuousClock.now - began
            #expect(verdict == .unknown(reason: "timeout"), "round \(round) (\(milliseconds) ms): got \(verdict)")
            #expect(elapsed < .milliseconds(milliseconds) + .seconds(1), "round \(round): a \(milliseconds) ms deadline took \(elapsed)")
        }
        #expect(Watchdog.shared.armedCount == 0, "a finished check left its deadline armed")
    }

    @Test("a deadline that has passed answers unknown without starting the check")
    func passedDeadline() throws {
        let context = Context()
        let solver = try hardFactoringSolver(context, guardMilliseconds: nil)
        solver.limits = QueryLimits(deadline: .now - .seconds(1))
        let began = ContinuousClock.now
        #expect(Verdict(try solver.check()) == .unknown(reason: "timeout"))
        #expect(ContinuousClock.now - began < .milliseconds(200))
    }

    @Test("the earlier of a solver's per-check timeout and its deadline applies")
    func earlierLimitWins() throws {
        let context = Context()
        let solver = try hardFactoringSolver(context, guardMilliseconds: nil)
        solver.timeoutMilliseconds = 60_000
        solver.limits = QueryLimits(deadline: .now + .milliseconds(30))
        let began = ContinuousClock.now
        #expect(Verdict(try solver.check()) == .unknown(reason: "timeout"))
        #expect(ContinuousClock.now - began < .seconds(2))
    }

    @Test("a resource limit ends a hard check the same way every time, and leaves an easy one alone")
    func resourceLimitIsDeterministic() throws {
        var reasons: [String] = []
        for _ in 0..<2 {
            let context = Context()
            let solver = try hardFactoringSolver(context, guardMilliseconds: nil)
            solver.limits = QueryLimits(resourceLimit: 20_000)
            guard case .unknown(let reason) = try solver.check() else {
                Issue.record("a resource-limited hard check was decided")
                return
            }
            reasons.append(reason)
        }
        #expect(reasons == ["max. resource limit exceeded", "max. resource limit exceeded"], "\(reasons)")

        let context = Context()
        let x = try context.bitVectorConstant("x", width: 64)
        let solver = try Solver(context, tactics: ["simplify", "bit-blast", "sat"], unsatCores: false)
        solver.limits = QueryLimits(resourceLimit: 1_000_000)
        try solver.assert(x * context.bv64(3) == context.bv64(21))
        #expect(Verdict(try solver.check()) == .sat)
    }

    // Regression: with Z3's default `ctrl_c=true`, every check swapped the process's SIGINT
    // handler for Z3's own and back (scoped_ctrl_c), racing with other threads: a SIGINT was
    // swallowed, or reached a handler left pointing at freed memory.
    @Test("a check leaves the process's SIGINT handler alone (ctrl_c is off)", arguments: ["incremental", "tactics"])
    func checksDoNotTouchSIGINT(kind: String) throws {
        let before = currentSIGINTHandler()
        let context = Context()
        let solver = try kind == "tactics"
            ? hardFactoringSolver(context, tactics: SolverKind.tactics)
            : hardFactoringSolver(context, guardMilliseconds: nil)
        solver.limits = QueryLimits(deadline: .now + .milliseconds(400))
        let seen = Mailbox<UInt>()
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.2)
            seen.put(currentSIGINTHandler())
        }
        _ = try solver.check()
        let during = try #require(seen.waitBlocking(timeout: .seconds(5)))
        #expect(during == before, "the SIGINT handler changed while Z3 checked")
    }

    @Test("no barproof source sets Z3's timeout parameter")
    func noZ3TimeoutParameter() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") || $0.hasSuffix(".c") }
        #expect(files.count > 20)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let setsTimer = (line.contains("Z3_mk_string_symbol") && line.contains("\"timeout\""))
                    || line.contains("Z3_global_param_set")
                #expect(!setsTimer, "\(file):\(number + 1) sets Z3's own timer: \(line)")
            }
        }
    }
}
}

enum SolverKind { case tactics }

/// The hard factoring query on a tactic solver (the kind barproof's prover uses).
func hardFactoringSolver(_ context: Context, tactics: SolverKind) throws -> Solver {
    let p: UInt64 = 2_147_483_647, q: UInt64 = 2_147_483_629
    let x = try context.bitVectorConstant("x", width: 64)
    let y = try context.bitVectorConstant("y", width: 64)
    let solver = try Solver(context, tactics: ["simplify", "solve-eqs", "bit-blast", "sat"], unsatCores: false)
    try solver.assert(x > context.bv64(1))
    try solver.assert(y > context.bv64(1))
    try solver.assert(x <= y)
    try solver.assert(x.multipliesWithoutOverflow(y))
    try solver.assert((x * y) == context.bv64(p * q))
    return solver
}

/// The address of the process's SIGINT handler now.
func currentSIGINTHandler() -> UInt {
    var action = sigaction()
    sigaction(SIGINT, nil, &action)
    return unsafeBitCast(action.__sigaction_handler.sa_handler, to: UInt.self)
}
