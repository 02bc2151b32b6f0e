import CZ3
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An owner of one Z3 context in reference-counted mode.
///
/// A context is not thread-safe: create one per task and never share it. The only operation
/// that may come from another thread is ``InterruptHandle/interrupt()``.
/// Every wrapper object (term, solver, model, ...) holds its context strongly, so
/// `Z3_del_context` always runs after the last `dec_ref`.
public final class Context {
    let raw: Z3_context
    /// Lets interrupts through only while a check runs.
    let interruptGate: InterruptGate

    /// Creates a context with model generation on and an error handler that records errors
    /// instead of calling `exit`.
    public init() {
        _ = Context.allocatorTuned
        let started = ContinuousClock.now
        let cfg = Z3_mk_config()
        Z3_set_param_value(cfg, "model", "true")
        raw = Z3_mk_context_rc(cfg)
        Z3_del_config(cfg)
        let took = ContinuousClock.now - started
        Context.creations.withLock {
            $0.made += 1
            $0.time += took
            $0.alive += 1
            $0.peakAlive = max($0.peakAlive, $0.alive)
        }
        interruptGate = InterruptGate(raw)
        // A no-op handler: Z3 records the code, the failing call returns NULL, and
        // `checkError` turns it into a thrown `Z3Error`.
        Z3_set_error_handler(raw) { _, _ in }
    }

    deinit {
        Z3_del_context(raw)
        Context.creations.withLock { $0.alive -= 1 }
    }

    /// How many contexts this process has made, how long making them took, and how many were
    /// alive at once, for `prove --statistics` and the benchmark.
    public struct CreationStatistics: Sendable, Equatable {
        /// Contexts made so far.
        public var made = 0
        /// The time spent inside `Z3_mk_context_rc`, summed over threads.
        public var time = Duration.zero
        /// Contexts alive now.
        public var alive = 0
        /// The most contexts alive at once.
        public var peakAlive = 0
    }

    /// The process's context statistics so far.
    public static var creationStatistics: CreationStatistics { creations.withLock { $0 } }

    private static let creations = Mutex(CreationStatistics())

    /// Keeps the memory of a deleted context for the next one, once per process.
    ///
    /// A Z3 context allocates large tables (hundreds of KiB each). glibc serves blocks from 128 KiB
    /// up with `mmap` and returns them to the kernel on `free`, so every new context page-faults
    /// fresh zeroed memory: measured 3-7 ms per `Z3_mk_context_rc` in `barproof prove`, about
    /// 0.5 ms once the memory is reused. Raising the mmap and trim thresholds keeps freed blocks
    /// in the heap. This changes only where the process's memory comes from, never what Z3 computes.
    private static let allocatorTuned: Bool = {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
        return true
        #else
        return false
        #endif
    }()

    /// Throws the error recorded by the last Z3 call, if any, and clears it.
    func checkError(_ operation: @autoclosure () -> String) throws {
        let code = Z3_get_error_code(raw)
        guard code != Z3_OK else { return }
        let message = String(cString: Z3_get_error_msg(raw, code))
        Z3_set_error(raw, Z3_OK)
        throw Z3Error(code: code.rawValue, message: message, operation: operation())
    }

    /// Wraps a freshly made AST at once (in rc mode it lives only until the next API call).
    func wrap(_ ast: Z3_ast?, _ operation: @autoclosure () -> String) throws -> AST {
        guard let ast else {
            try checkError(operation())
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no term", operation: operation())
        }
        let wrapped = AST(self, ast)
        try checkError(operation())
        return wrapped
    }

    /// Throws unless `ast` was made in this context. Z3 does not check this itself: a term from
    /// another context would be built into a corrupt term, asserted, or evaluated, and crash later.
    func requireOwned(_ ast: AST, _ operation: @autoclosure () -> String) throws {
        guard ast.context === self else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "a term from another Z3 context was used",
                          operation: operation())
        }
    }

    /// The error that poisoned this context, if any (see ``poison(_:)``).
    public private(set) var poisoned: Z3Error?

    /// Marks the context unusable for checks: every later check of a solver or optimiser in it
    /// throws `error` instead of answering. A builder that swallows a Z3 failure and hands back a
    /// placeholder term (``Prover``'s `Symbolic`) poisons its context, so a formula with a
    /// placeholder in it can never be solved into a verdict, whatever path solves it.
    public func poison(_ error: Z3Error) {
        if poisoned == nil { poisoned = error }
    }

    /// Throws the error that poisoned the context, if one did.
    func throwIfPoisoned(_ operation: @autoclosure () -> String) throws {
        if let poisoned {
            throw Z3Error(code: poisoned.code, message: "the context was poisoned by an earlier failure: \(poisoned.message)",
                          operation: operation())
        }
    }

    /// A handle that can interrupt a check running in this context from another task or thread.
    public var interruptHandle: InterruptHandle { InterruptHandle(self) }

    // MARK: - Version and memory

    /// The Z3 library version, read at run time with `Z3_get_full_version`.
    public static var fullVersion: String { String(cString: Z3_get_full_version()) }

    /// The Z3 library version as `major.minor.build.revision`.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return "\(major).\(minor).\(build).\(revision)"
    }

    /// Z3's estimate of the memory it holds, process-wide (`Z3_get_estimated_alloc_size`).
    public static var estimatedAllocSize: UInt64 { UInt64(Z3_get_estimated_alloc_size()) }

    // MARK: - Sorts

    /// The Boolean sort.
    public func boolSort() throws -> Sort {
        try Sort(self, Z3_mk_bool_sort(raw), "mk_bool_sort")
    }

    /// The bit-vector sort of `width` bits (1 ... 65535).
    public func bitVectorSort(width: Int) throws -> Sort {
        guard (1...65535).contains(width) else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "bit-vector width \(width) out of range 1...65535",
                          operation: "mk_bv_sort")
        }
        return try Sort(self, Z3_mk_bv_sort(raw, UInt32(width)), "mk_bv_sort")
    }
}

/// A Z3 context lent for one task and given back for reuse when the task is over.
///
/// Making a context costs about 0.5-1 ms of CPU (more when its tables land on fresh memory), and a
/// `prove` of the shipped specs made 86 of them. A lease takes an idle context from its
/// ``ContextPool`` when there is one, and gives it back when the lease goes.
///
/// A reused context decides the same formulas (Z3's answers are facts about the formula), but
/// term ids, and so the order in which Z3 explores, depend on what the context held before:
/// models, unsat cores and the steps a query takes can differ. Use a lease only where none of
/// those is reported as is (verdicts under a deadline, not under Z3's step limit; a counterexample
/// decided again in a fresh context).
public final class ContextLease {
    public let context: Context
    private let pool: ContextPool

    public init(from pool: ContextPool = .shared) {
        self.pool = pool
        context = pool.take()
    }

    deinit { pool.giveBack(context) }
}

/// Contexts that leases gave back, to lend again.
///
/// A given-back context may still be referenced for a while (a term released later, on any
/// thread): only one that the pool alone refers to is lent. Nothing else can get hold of it then,
/// so it stays unreferenced, and lending it to another thread is safe.
public final class ContextPool: Sendable {
    /// The pool of the process.
    public static let shared = ContextPool(capacity: 4)

    /// At most this many given-back contexts are kept (each holds some tens of MiB); the oldest
    /// goes first. The shared pool keeps more than the threads barproof runs checks on.
    public let capacity: Int

    private struct Idle: @unchecked Sendable {
        var contexts: [Context] = []
    }

    private let idle = Mutex(Idle())

    public init(capacity: Int) { self.capacity = capacity }

    /// An idle context nothing else refers to, or a new one.
    func take() -> Context {
        idle.withLock { idle in
            guard let index = idle.contexts.indices.first(where: { isKnownUniquelyReferenced(&idle.contexts[$0]) }) else { return nil }
            return idle.contexts.remove(at: index)
        } ?? Context()
    }

    /// Keeps `context` to lend again, unless it was poisoned.
    func giveBack(_ context: Context) {
        guard context.poisoned == nil, capacity > 0 else { return }
        idle.withLock {
            $0.contexts.append(context)
            if $0.contexts.count > capacity { $0.contexts.removeFirst() }
        }
    }

    /// How many given-back contexts the pool holds (lendable or not yet).
    public var count: Int { idle.withLock { $0.contexts.count } }
}

/// A reference-counted Z3 AST node.
final class AST {
    let context: Context
    let raw: Z3_ast

    init(_ context: Context, _ raw: Z3_ast) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, raw)
    }

    deinit { Z3_dec_ref(context.raw, raw) }
}

/// A Z3 sort (kept alive through its AST reference).
public final class Sort {
    let context: Context
    let raw: Z3_sort

    init(_ context: Context, _ raw: Z3_sort?, _ operation: String) throws {
        guard let raw else {
            try context.checkError(operation)
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no sort", operation: operation)
        }
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
    }

    deinit { Z3_dec_ref(context.raw, Z3_sort_to_ast(context.raw, raw)) }

    /// The width of a bit-vector sort, or nil for other sorts.
    public var bitVectorWidth: Int? {
        guard Z3_get_sort_kind(context.raw, raw) == Z3_BV_SORT else { return nil }
        return Int(Z3_get_bv_sort_size(context.raw, raw))
    }
}

/// Interrupts checks running in one context; the only Z3 operation that is safe across threads.
public final class InterruptHandle: @unchecked Sendable {
    // Holding the context keeps it alive while another thread may still interrupt it.
    private let context: Context

    init(_ context: Context) { self.context = context }

    /// Asks the check running in the context to stop; it returns `unknown`. With no check running,
    /// does nothing: a check that starts later runs normally.
    ///
    /// The corresponding C function is `Z3_interrupt`, which Z3Kit only calls while a check runs
    /// (see ``InterruptGate``).
    public func interrupt() { context.interruptGate.interrupt() }
}

/// Delivers `Z3_interrupt` only while a check runs in the context, and leaves the context clean.
///
/// Z3 4.8.12 needs this on both sides of a check:
/// - An interrupt while no check runs is not harmless: it leaves the context cancelled until the
///   next check. Meanwhile model evaluation fails with "canceled", and an assertion added to a
///   solver that was already used is silently dropped, so that solver's next check can return a
///   model that violates it. So interrupts outside a check are not passed on.
/// - An interrupt that arrives just before Z3 is inside the check is lost (the check resets the
///   mark as it starts). So an interrupt is repeated every few milliseconds until the check returns.
/// - One that lands just after Z3 left the check is the first case again. So after a check that
///   was interrupted, an empty check on a scratch solver clears the mark.
final class InterruptGate: @unchecked Sendable {
    private struct State {
        var checking = false
        var generation: UInt64 = 0
        var interrupted = false
    }

    private let state = Mutex(State())
    // Only passed to Z3_interrupt (under the lock, while a check runs) and, on the checking
    // thread, to the clean-up check.
    private let raw: Z3_context

    init(_ raw: Z3_context) {
        self.raw = raw
        ProcessStop.register(self)
    }

    deinit { ProcessStop.unregister(self) }

    /// Runs `call` (one Z3 check, and reading its error) with interrupts enabled. Returns nil
    /// without running it when `abort` is true at the start, or when solving has been stopped
    /// process-wide (``ProcessStop``); both are checked under the interrupt lock, so a stop
    /// requested from then on interrupts the check.
    func check<T>(abortIf abort: () -> Bool, _ call: () throws -> T) rethrows -> T? {
        let started = state.withLock { state in
            if abort() || ProcessStop.requested != nil { return false }
            state.checking = true
            state.generation &+= 1
            state.interrupted = false
            return true
        }
        guard started else { return nil }
        defer {
            let interrupted = state.withLock { state in
                state.checking = false
                return state.interrupted
            }
            if interrupted { clearCancellation() }
        }
        return try call()
    }

    func interrupt() {
        let generation: UInt64? = state.withLock { state in
            guard state.checking else { return nil }
            state.interrupted = true
            Z3_interrupt(raw)
            return state.generation
        }
        if let generation { interruptAgain(generation) }
    }

    private func interruptAgain(_ generation: UInt64) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) {
            let again = self.state.withLock { state in
                guard state.checking, state.generation == generation else { return false }
                Z3_interrupt(self.raw)
                return true
            }
            if again { self.interruptAgain(generation) }
        }
    }

    /// A check resets the cancelled mark, so run an empty one. (The interrupted check's own error,
    /// if any, has been read by then.)
    private func clearCancellation() {
        defer { Z3_set_error(raw, Z3_OK) }
        guard let scratch = Z3_mk_simple_solver(raw) else { return }
        Z3_solver_inc_ref(raw, scratch)
        SolverParameters.apply(raw, scratch, limits: .none)
        _ = Z3_solver_check(raw, scratch)
        Z3_solver_dec_ref(raw, scratch)
    }
}
