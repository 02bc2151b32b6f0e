import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Z3Kit

/// What a run cost, printed on standard error by `--statistics`: the Z3 contexts it made, the time
/// spent making them, and the process's CPU time, so the share of context creation can be read
/// off one run (`make bench` prints it for `prove` of the shipped specs).
public struct RunStatistics: Sendable {
    public var contexts: Context.CreationStatistics
    /// User and system CPU time of the process so far, over all threads.
    public var userCPU: Duration
    public var systemCPU: Duration

    /// The figures now.
    public static func now() -> RunStatistics {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        return RunStatistics(contexts: Context.creationStatistics, userCPU: duration(usage.ru_utime), systemCPU: duration(usage.ru_stime))
    }

    /// The share of the process's CPU time spent making contexts, from 0 to 1.
    public var contextShare: Double {
        let cpu = (userCPU + systemCPU).seconds
        return cpu > 0 ? contexts.time.seconds / cpu : 0
    }

    /// Lines such as `statistics: 86 Z3 contexts made (at most 4 alive at once) in 104.2 ms; ...`.
    public var text: String {
        let cpu = userCPU + systemCPU
        return """
            statistics: \(contexts.made) Z3 contexts made (at most \(contexts.peakAlive) alive at once) in \
            \(String(format: "%.1f", contexts.time.seconds * 1000)) ms
            statistics: process CPU \(String(format: "%.3f", cpu.seconds)) s (user \(String(format: "%.3f", userCPU.seconds)) s, \
            system \(String(format: "%.3f", systemCPU.seconds)) s); making contexts \(String(format: "%.1f", contextShare * 100))% of it
            """
    }
}
