import Prover
import SpecFiles

/// The solver limits of a run, as the command line gives them (`--timeout-ms`, `--time-limit`,
/// `--rlimit`, `--seed`, `--quiet`).
///
/// The limits are barproof's own (a watchdog thread interrupts Z3), never Z3's `timeout`
/// parameter, whose timer deadlocks in Z3 4.8.12. A check or run that hits one is unknown (exit 2).
public struct SolverSettings: Sendable {
    /// Each check's time limit in milliseconds (a search: each check's search).
    public var timeoutMilliseconds: UInt32?
    /// The whole run's time limit in seconds, counted from the start of the process (``RunClock``).
    public var timeLimit: Double?
    /// Z3's resource limit for each query.
    public var resourceLimit: UInt32?
    public var seed: UInt32
    /// No progress lines on standard error.
    public var quiet: Bool

    public init(timeoutMilliseconds: UInt32? = nil, timeLimit: Double? = nil, resourceLimit: UInt32? = nil, seed: UInt32 = 0,
                quiet: Bool = false) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.timeLimit = timeLimit
        self.resourceLimit = resourceLimit
        self.seed = seed
        self.quiet = quiet
    }

    /// The run's deadline, from ``timeLimit``.
    public var deadline: ContinuousClock.Instant? { RunClock.deadline(seconds: timeLimit) }
}

extension SpecCheck {
    /// The check as a request under the command line's solver limits.
    func request(_ solver: SolverSettings, minimiseCore: Bool = false, findDependencies: Bool = true) -> CheckRequest {
        CheckRequest(policy: policy, platform: platform, invariant: invariant, assumptions: assumptions,
                     timeoutMilliseconds: solver.timeoutMilliseconds, seed: solver.seed, minimiseCore: minimiseCore,
                     findDependencies: findDependencies, deadline: solver.deadline, resourceLimit: solver.resourceLimit)
    }
}
