import CZ3
import Foundation
import Testing
@testable import Z3Kit

/// A reference-count leak probe. Valgrind cannot see a missing `dec_ref` (deleting the context
/// frees everything), so the probe watches Z3's own allocation estimate across many rounds of
/// build-and-solve in ONE context: it must stay flat after a warm-up. A negative control that
/// leaks one reference per round on purpose proves the probe can see a leak.
///
/// `Z3_get_estimated_alloc_size` is process-wide, so each probe runs in a child process of its
/// own (an exit test) where no other test allocates. The child writes its measurements to a file
/// named after the parent's process id; the parent reads it. (Observing the child's stdout instead
/// would hold a second thread of the small cooperative pool.)
extension LongRunning {
// Time limit: 10,000 build-and-solve rounds in a child process, 15 s on a loaded 2-core machine,
// hence 2 minutes.
@Suite("Leak probe: Z3 memory stays flat over many build-and-solve rounds", .timeLimit(.minutes(2)))
struct LeakProbeTests {
    @Test("10,000 rounds in one context keep Z3's allocation estimate flat")
    func tenThousandRoundsStayFlat() async throws {
        defer { LeakProbe.removeReport(label: "flat") }
        await #expect(processExitsWith: .success) {
            try LeakProbe.run(rounds: 10_000, warmUp: 1_000, solverLifetime: 1_000, leakOneReferencePerRound: false,
                              label: "flat")
        }
        let report = try #require(LeakProbe.readReport(label: "flat"))
        print("leak probe:", report)
        #expect(report.rounds == 10_000)
        #expect(report.growth < 64 * 1024, "Z3 memory grew by \(report.growth) bytes over \(report.measuredRounds) rounds")
    }

    @Test("negative control: one leaked reference per round makes the estimate grow")
    func deliberateLeakIsDetected() async throws {
        defer { LeakProbe.removeReport(label: "leaky") }
        await #expect(processExitsWith: .success) {
            try LeakProbe.run(rounds: 2_000, warmUp: 500, solverLifetime: 500, leakOneReferencePerRound: true,
                              label: "leaky")
        }
        let report = try #require(LeakProbe.readReport(label: "leaky"))
        print("leak probe, negative control:", report)
        #expect(report.rounds == 2_000)
        // Well above the flat probe's bound: at least 4 times 64 KiB over fewer rounds.
        #expect(report.growth > 256 * 1024, "a deliberate leak grew Z3 memory by only \(report.growth) bytes")
    }
}
}

enum LeakProbe {
    struct Report: CustomStringConvertible {
        let rounds: Int
        let measuredRounds: Int
        let afterWarmUp: Int64
        let atEnd: Int64
        var growth: Int64 { atEnd - afterWarmUp }

        /// Parses the `leak-probe rounds=… measured=… warm=… end=…` line.
        init?(parsing text: String) {
            guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("leak-probe ") }) else { return nil }
            var fields: [String: Int64] = [:]
            for pair in line.dropFirst("leak-probe ".count).split(separator: " ") {
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let value = Int64(parts[1]) else { return nil }
                fields[String(parts[0])] = value
            }
            guard let rounds = fields["rounds"], let measured = fields["measured"],
                  let warm = fields["warm"], let end = fields["end"] else { return nil }
            self.rounds = Int(rounds)
            self.measuredRounds = Int(measured)
            self.afterWarmUp = warm
            self.atEnd = end
        }

        var description: String {
            "\(rounds) rounds; after warm-up \(afterWarmUp) B, at end \(atEnd) B, growth \(growth) B over \(measuredRounds) rounds"
        }
    }

    /// The report file of the probe `label` run by the test process `parent`.
    private static func reportURL(label: String, parent: pid_t) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("z3kit-leak-probe-\(parent)-\(label).txt")
    }

    /// The report written by this process's child for `label`.
    static func readReport(label: String) -> Report? {
        guard let text = try? String(contentsOf: reportURL(label: label, parent: getpid()), encoding: .utf8) else {
            return nil
        }
        return Report(parsing: text)
    }

    static func removeReport(label: String) {
        try? FileManager.default.removeItem(at: reportURL(label: label, parent: getpid()))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `rounds` rounds of build-and-solve in one context and reports Z3's allocation estimate
    /// after `warmUp` rounds and at the end.
    ///
    /// A round: build terms, push, assert, check (sat), read the model, check under two named
    /// assumptions (unsat, read the core), pop. Every round's terms differ from every other
    /// round's (a round-specific literal), so leaked terms cannot hide behind hash-consing.
    ///
    /// The solver is replaced every `solverLifetime` rounds, and both measurements are taken
    /// between solvers. Z3 itself retains memory inside a long-lived solver across push/pop
    /// (measured with 4.8.12: about 70-400 bytes per round with `Z3_mk_solver`, about 32 KB per round
    /// with `Z3_mk_solver_for_logic(QF_BV)`), all of it freed when the solver is deleted; that is
    /// not a reference-count leak and would drown one. Leaked terms, models, vectors or symbols
    /// belong to the context and survive the solver, so the probe still sees them.
    static func run(rounds: Int, warmUp: Int, solverLifetime: Int, leakOneReferencePerRound: Bool,
                    label: String) throws {
        guard warmUp % solverLifetime == 0, rounds % solverLifetime == 0, warmUp < rounds else {
            throw Failure(description: "warm-up and rounds must be whole solver lifetimes")
        }
        let context = Context()
        let start = try context.bitVectorConstant("start", width: 64)
        let size = try context.bitVectorConstant("size", width: 64)
        var afterWarmUp: UInt64 = 0
        var solver: Solver?
        for round in 0..<rounds {
            if round % solverLifetime == 0 {
                solver = nil
                if round == warmUp { afterWarmUp = Context.estimatedAllocSize }
                solver = try Solver(context)
            }
            guard let solver else { throw Failure(description: "no solver") }
            let floor = UInt64(round + 1) << 16
            let formula = try context.and([
                start >= context.bv64(floor),
                context.isAligned(start, to: 4 * kib),
                size == context.bv64(4 * kib),
                start.addsWithoutOverflow(size),
            ])
            if leakOneReferencePerRound { Z3_inc_ref(context.raw, formula.ast.raw) }
            try solver.push()
            try solver.assert(formula)
            guard let model = try solver.check().model else { throw Failure(description: "round \(round): not sat") }
            let value = try model.value(start)
            guard value >= floor, value % (4 * kib) == 0, try model.value(size) == 4 * kib else {
                throw Failure(description: "round \(round): model start \(value) violates the formula")
            }
            let underAssumptions = try solver.check(assuming: [
                NamedAssumption("below floor", start < context.bv64(floor)),
                NamedAssumption("irrelevant", size != context.bv64(0)),
            ])
            guard case .unsat(let core) = underAssumptions, core == ["below floor"] else {
                throw Failure(description: "round \(round): expected the core [below floor], got \(Verdict(underAssumptions))")
            }
            try solver.pop()
        }
        solver = nil
        let atEnd = Context.estimatedAllocSize
        let line = "leak-probe rounds=\(rounds) measured=\(rounds - warmUp) warm=\(afterWarmUp) end=\(atEnd)\n"
        // This runs in the exit test's child process: the test process is its parent.
        try line.write(to: reportURL(label: label, parent: getppid()), atomically: true, encoding: .utf8)
    }
}
