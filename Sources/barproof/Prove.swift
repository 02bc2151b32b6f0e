import ArgumentParser
import Commands
import Foundation

/// Report formats of `barproof prove`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, junit
}

/// Options every command that runs the solver shares.
///
/// The limits are barproof's own (a watchdog thread interrupts Z3), never Z3's `timeout`
/// parameter, whose timer deadlocks in Z3 4.8.12. A check or run that hits one is unknown (exit 2).
struct SolverOptions: ParsableArguments {
    @Option(name: .customLong("timeout-ms"),
            help: "Time limit for each check in milliseconds (a search: each check's search); a check that runs out is unknown.")
    var timeoutMilliseconds: UInt32?

    @Option(name: .customLong("time-limit"),
            help: "Time limit for the whole run in seconds; checks still undecided then are unknown (exit 2).")
    var timeLimit: Double?

    @Option(name: .customLong("rlimit"),
            help: "Z3 resource limit for each query: a count of solver steps, the same on every machine (reproducible limits for CI).")
    var resourceLimit: UInt32?

    @Option(help: "Z3 random seed (fixed by default, so runs are reproducible).")
    var seed: UInt32 = 0

    @Flag(help: "No progress lines on standard error (they appear only on a terminal, after about 2 s).")
    var quiet = false

    @Flag(help: "At the end, print on standard error how many Z3 contexts the run made, the time making them took, and the process's CPU time.")
    var statistics = false

    func validate() throws {
        if timeoutMilliseconds == 0 { throw ValidationError("--timeout-ms must be at least 1") }
        if let timeLimit, !(timeLimit > 0 && timeLimit <= 31_536_000) {
            throw ValidationError("--time-limit must be a number of seconds above 0 (at most a year)")
        }
        if resourceLimit == 0 { throw ValidationError("--rlimit must be at least 1") }
    }

    /// The limits as the commands take them.
    var settings: SolverSettings {
        SolverSettings(timeoutMilliseconds: timeoutMilliseconds, timeLimit: timeLimit, resourceLimit: resourceLimit, seed: seed,
                       quiet: quiet)
    }
}

extension Barproof {
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every check of the specs and compare verdicts with expectations and recorded proofs.",
            discussion: """
                Prints one line per check (spec/check, invariant, verdict, scope, time), a summary, and \
                how many checks were compared with a record. Without --record, each verdict is compared \
                with its record under --proofs: a difference fails the check with a diff, and so does a \
                record missing while other checks of its spec have one; an unreadable or unparsable \
                record is bad input (65). A check that did not pass but that a suppression \
                (--suppressions) or the --baseline report excuses is reported as such and does not count. A spec with no records folder is not compared (say so with \
                --require-records to fail instead). --record replaces each spec's folder as a unit \
                (an inconclusive check keeps its previous record) and refuses a folder holding \
                anything but records.
                """)

        @Argument(help: "Spec files or directories of *.yaml specs.")
        var paths: [String] = ["Specs"]

        @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: ReportFormat = .text

        @Option(help: "Write the report to this file (atomically) instead of standard output.")
        var output: String?

        @Option(help: "Also write the SARIF 2.1.0 log to this file (atomically), for GitHub code scanning; not with --format sarif.")
        var sarif: String?

        @Option(help: "Also write the JUnit XML report to this file (atomically); not with --format junit.")
        var junit: String?

        @Option(help: "Also write the JSON report (barproof-prove) to this file (atomically); not with --format json.")
        var json: String?

        @Option(help: "SARIF locations are relative to this directory (uriBaseId SRCROOT). Default: the git top level of the current directory, else the current directory.")
        var srcroot: String?

        @Option(name: .customLong("check"),
                help: "Run only this check (repeatable): its name (in every spec that has it), or spec/check; default: every check of the specs. Not with --record, which writes a spec's records as a unit.")
        var checks: [String] = []

        @Option(help: "A suppressions file: failing checks it names, with a justification, are reported as suppressed and do not fail the run. Default: barproof-suppressions.yaml in the source root, when present.")
        var suppressions: String?

        @Option(help: "An earlier `barproof prove --format json` report: fail only on checks that did not fail in it; the others are reported as in the baseline.")
        var baseline: String?

        @Option(help: "Checks to run in parallel, each with its own Z3 context.")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var solver: SolverOptions

        @Flag(help: "Write proofs/<spec>/<check>.json and the .smt2 queries instead of comparing with them.")
        var record = false

        @Option(help: "Directory of recorded proofs (default: proofs, compared when present; one given here must exist unless recording).")
        var proofs: String?

        @Flag(name: .customLong("require-records"), help: "Fail (exit 1) every check that has no record to compare with, for CI.")
        var requireRecords = false

        func validate() throws {
            if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("no such spec file or directory: \(path)")
            }
            if record && !checks.isEmpty {
                throw ValidationError("--record writes each spec's records as a unit: it cannot be combined with --check")
            }
        }

        func run() throws {
            try guarded(statistics: solver.statistics) {
                try ProveRun(paths: paths, format: ReportTargets.Kind(rawValue: format.rawValue) ?? .text, output: output,
                             sarif: sarif, junit: junit, json: json, srcroot: srcroot, checks: checks, suppressions: suppressions,
                             baseline: baseline, jobs: jobs, solver: solver.settings, record: record, proofs: proofs,
                             requireRecords: requireRecords).run()
            }
        }
    }
}
