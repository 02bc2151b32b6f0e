import Foundation
import Prover
import Reports
import SpecFiles
import Z3Kit

/// How long, in milliseconds, ``runJobs(_:workers:solver:minimiseCore:findDependencies:)`` waits
/// for checks to wind down after a signal before it reports without them.
let stopWait = 250

/// A check of a loaded spec, ready to run.
struct Job: Sendable {
    var spec: Spec
    var check: SpecCheck
}

/// The outcome of running one job: the verdict and its wall time, or the error barproof hit.
struct JobResult: Sendable {
    var verdict: Result<Verdict, ProverError>
    var seconds: Double
}

/// Runs jobs on `workers` threads, each check with its own Z3 context (``CheckRequest/run()``
/// creates one), and returns results in job order whatever order they finish in.
///
/// The calling thread only waits. Once a signal stops the run (``RunControl``) it waits at most
/// ``stopWait`` more, then returns what was decided, the rest unknown: a check busy in a step
/// that no interrupt reaches cannot hold up the report (the process then ends without waiting
/// for it; see the executable's `guarded(_:)`).
func runJobs(_ jobs: [Job], workers: Int, solver: SolverSettings, minimiseCore: Bool = false,
             findDependencies: Bool = true) -> [JobResult] {
    let queue = JobQueue(count: jobs.count)
    let progress = Progress(quiet: solver.quiet)
    defer { progress.finish() }
    let work: @Sendable () -> Void = {
        while let index = queue.next() {
            progress.update("checks: \(queue.finishedCount) of \(jobs.count) decided")
            let request = jobs[index].check.request(solver, minimiseCore: minimiseCore, findDependencies: findDependencies)
            let clock = ContinuousClock()
            let start = clock.now
            let verdict: Result<Verdict, ProverError>
            do {
                verdict = .success(try request.run())
            } catch let error as ProverError {
                verdict = .failure(error)
            } catch {
                verdict = .failure(ProverError("\(error)"))
            }
            queue.finish(index, JobResult(verdict: verdict, seconds: (clock.now - start).seconds))
            progress.update("checks: \(queue.finishedCount) of \(jobs.count) decided")
        }
    }
    let threads = max(1, min(workers, jobs.count))
    let group = DispatchGroup()
    for _ in 0..<threads {
        group.enter()
        let thread = Thread {
            work()
            group.leave()
        }
        // Z3's rewriter recurses deeply on bit-vector terms; give it the main thread's room.
        thread.stackSize = 64 << 20
        thread.start()
    }
    while group.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
        if ProcessStop.requested != nil {
            _ = group.wait(timeout: .now() + .milliseconds(stopWait))
            break
        }
    }
    return queue.results()
}

/// Hands out job indices and collects results under a lock.
private final class JobQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    private var slots: [JobResult?]

    init(count: Int) {
        self.count = count
        slots = Array(repeating: nil, count: count)
    }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    var finishedCount: Int { lock.withLock { slots.count { $0 != nil } } }

    func finish(_ index: Int, _ result: JobResult) {
        lock.withLock { slots[index] = result }
    }

    func results() -> [JobResult] {
        lock.withLock {
            slots.map {
                $0 ?? JobResult(verdict: ProcessStop.requested.map { .success(.unknown(reason: $0)) }
                                    ?? .failure(ProverError("check never ran")), seconds: 0)
            }
        }
    }
}
