import Dispatch
import Foundation
import PCIModel
import Synchronization
import VFIORules
import Z3Kit

/// The processors of this machine and how many threads of this process are deciding checks now.
/// Checks use another thread only while a processor is idle: checks that already run in parallel
/// (`barproof prove --jobs 2`) gain nothing from more threads, and Z3 contexts working at once
/// cost each other time (measured 20-35% more CPU).
enum Processors {
    private static let busy = Atomic<Int>(0)
    static let count = ProcessInfo.processInfo.activeProcessorCount

    /// Counts the calling thread as busy while `body` runs.
    static func occupied<T>(_ body: () throws -> T) rethrows -> T {
        busy.add(1, ordering: .relaxed)
        defer { busy.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// Takes an idle processor for one more thread, if one is idle; give it back with ``release()``.
    static func reserveIdle() -> Bool {
        var current = busy.load(ordering: .relaxed)
        while current < count {
            let (exchanged, original) = busy.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    static func release() { busy.subtract(1, ordering: .relaxed) }
}

/// One check: an invariant under a policy on a platform, with assumptions.
public struct CheckRequest: Hashable, Sendable {
    public var policy: Policy
    public var platform: PlatformSpec
    public var invariant: Invariant
    public var assumptions: [Assumption]
    /// A time limit on the whole check, counted from the start of ``run()``; a check that runs
    /// out is `unknown`. Enforced by Z3Kit's ``Watchdog``, never by Z3's own timer.
    public var timeoutMilliseconds: UInt32?
    /// An absolute deadline for the check (a whole run's time limit), whichever comes first.
    public var deadline: ContinuousClock.Instant?
    /// Z3's deterministic resource limit for each query (`rlimit`), for reproducible limits in CI.
    public var resourceLimit: UInt32?
    public var seed: UInt32
    /// Make the dependencies irredundant, page size by page size: no clause or assumption of
    /// them can be dropped alone and leave the proof standing (a few more queries; `explain`).
    public var minimiseCore: Bool
    /// Find the clauses and assumptions a proof depends on (every case decided on core-tracking
    /// solvers, through the same stages as a verdict). Without it a proof's dependencies are empty.
    public var findDependencies: Bool

    public init(policy: Policy, platform: PlatformSpec, invariant: Invariant,
                assumptions: [Assumption] = Assumption.defaults, timeoutMilliseconds: UInt32? = nil, seed: UInt32 = 0,
                minimiseCore: Bool = false, findDependencies: Bool = true, deadline: ContinuousClock.Instant? = nil,
                resourceLimit: UInt32? = nil) {
        self.deadline = deadline
        self.resourceLimit = resourceLimit
        self.policy = policy
        self.platform = platform
        self.invariant = invariant
        self.assumptions = assumptions
        self.timeoutMilliseconds = timeoutMilliseconds
        self.seed = seed
        self.minimiseCore = minimiseCore
        self.findDependencies = findDependencies
    }
}

extension CheckRequest {
    /// Runs the check over the pair model. A platform with several page sizes is checked once per
    /// page size (a fixed page size per query solves much faster): refuted if any page size
    /// refutes, unknown if any is unknown and none refutes, vacuous only if every page size is
    /// vacuous, otherwise proved with the union of the dependencies.
    ///
    /// The page sizes are decided at once, each on its own thread with its own prover (Z3
    /// context); the verdict is combined in page-size order, as if they ran one after another.
    public func run() throws -> Verdict {
        let limits = self.limits(from: .now)
        var proofs: [Proof] = []
        var vacuous: (Proof, String)?
        var unknown: String?
        for (page, outcome) in zip(platform.pageSizes, perPageSize(limits)) {
            switch try outcome.get() {
            case .refuted(let example):
                return .refuted(example)
            case .unknown(let reason):
                unknown = unknown ?? "\(page) pages: \(reason)"
            case .proved(let proof):
                proofs.append(proof)
            case .vacuous(let proof, let reason):
                vacuous = (proof, reason)
            }
        }
        if let unknown { return .unknown(reason: unknown) }
        let all = proofs + (vacuous.map { [$0.0] } ?? [])
        let merged = Proof(scope: .allTopologies(neighbours: 1), assumptions: assumptions.map(\.rawValue).sorted(),
                           dependencies: Set(all.flatMap(\.dependencies)).sorted(),
                           vacuityWitness: proofs.first?.vacuityWitness)
        if proofs.isEmpty, let vacuous { return .vacuous(merged, reason: vacuous.1) }
        return .proved(merged)
    }

    /// The limits of a check that starts at `start`: the earlier of its own time limit and the
    /// run's deadline, and the resource limit.
    public func limits(from start: ContinuousClock.Instant) -> QueryLimits {
        QueryLimits(deadline: QueryLimits.earlier(deadline, timeoutMilliseconds.map { start + .milliseconds(Int($0)) }),
                    resourceLimit: resourceLimit)
    }

    /// The verdict at each page size alone, in the order of `platform.pageSizes`.
    ///
    /// Page sizes run on threads of their own only while a processor is idle (``Processors``).
    private func perPageSize(_ limits: QueryLimits) -> [Result<Verdict, any Error>] {
        let pages = platform.pageSizes
        let outcomes = Mutex([Result<Verdict, any Error>?](repeating: nil, count: pages.count))
        let stops = pages.map { _ in StopSignal() }
        let solve: @Sendable (Int) -> Void = { index in
            var single = platform
            single.pageSizes = [pages[index]]
            let outcome = Result<Verdict, any Error> {
                // A check whose time is up, or a run being stopped, builds no prover (contexts and
                // terms take a while) and answers at once.
                if let stop = ProcessStop.requested { return .unknown(reason: stop) }
                if limits.expired { return .unknown(reason: "timeout") }
                let prover = try PairProver(platform: single, limits: limits, seed: seed)
                prover.stop = stops[index]
                return try prover.check(invariant, policy: policy, assumptions: assumptions,
                                        dependencies: findDependencies, minimiseCore: minimiseCore)
            }
            if case .success(.refuted) = outcome {
                // The verdict is combined in page-size order, so the later page sizes no longer
                // matter; the earlier ones still do (their counterexample would be the one shown).
                for later in stops[(index + 1)...] { later.stop() }
            }
            outcomes.withLock { $0[index] = outcome }
        }
        Processors.occupied {
            if pages.count == 2, Processors.reserveIdle() {
                defer { Processors.release() }
                DispatchQueue.concurrentPerform(iterations: 2, execute: solve)
            } else {
                for index in pages.indices {
                    solve(index)
                    // As before: a refutation ends the check.
                    if case .success(.refuted) = outcomes.withLock({ $0[index] }) { break }
                }
            }
        }
        return outcomes.withLock { $0.map { $0 ?? .failure(ProverError("a page size was left unchecked")) } }
    }

    /// The SMT-LIB2 queries of this check, one per page size and violation case; each is
    /// unsatisfiable exactly when that case is proved. Each page size is written in a context of
    /// its own, on a thread of its own while a processor is idle; the text is the same either way.
    public func queries() throws -> [(name: String, text: String)] {
        let pages = platform.pageSizes
        let texts = Mutex([Result<[(name: String, text: String)], any Error>?](repeating: nil, count: pages.count))
        let write: @Sendable (Int) -> Void = { [self] index in
            let page = pages[index]
            let result = Result {
                var single = platform
                single.pageSizes = [page]
                let prover = try PairProver(platform: single, seed: seed)
                return try prover.caseQueries(invariant, policy: policy, assumptions: assumptions).enumerated()
                    .map { (name: "\(page.rawValue >> 10)k-case\($0.offset)", text: $0.element) }
            }
            texts.withLock { $0[index] = result }
        }
        Processors.occupied {
            if pages.count > 1, Processors.reserveIdle() {
                defer { Processors.release() }
                DispatchQueue.concurrentPerform(iterations: pages.count, execute: write)
            } else {
                for index in pages.indices { write(index) }
            }
        }
        return try texts.withLock { $0 }.flatMap { try ($0 ?? .failure(ProverError("a page size was left unwritten"))).get() }
    }
}

/// Tells a prover (a page size of a check, or a part of the model) that its answer is no longer
/// needed: it interrupts the query running now, makes every later one return `unknown` at once,
/// and stops the signals adopted by this one.
final class StopSignal: Sendable {
    private struct State {
        var stopped = false
        var handle: InterruptHandle?
        var children: [StopSignal] = []
    }

    private let state = Mutex(State())

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Interrupts `handle`'s checks from now on (and now, if already stopped).
    func attach(_ handle: InterruptHandle) {
        let stopped = state.withLock { state in
            state.handle = handle
            return state.stopped
        }
        if stopped { handle.interrupt() }
    }

    /// Interrupts no handle from now on.
    func detach() {
        state.withLock { $0.handle = nil }
    }

    /// Stops `child` when this signal stops (at once, if it already has).
    func adopt(_ child: StopSignal) {
        let stopped = state.withLock { state in
            if !state.stopped { state.children.append(child) }
            return state.stopped
        }
        if stopped { child.stop() }
    }

    func stop() {
        let (handle, children) = state.withLock { state -> (InterruptHandle?, [StopSignal]) in
            if state.stopped { return (nil, []) }
            state.stopped = true
            return (state.handle, state.children)
        }
        handle?.interrupt()
        for child in children { child.stop() }
    }
}
