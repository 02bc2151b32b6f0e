import ArgumentParser
import Foundation
import Prover
import Reports
import Z3Kit

/// Report formats of `barproof prove`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, junit
}

/// Options every command that runs the solver shares.
struct SolverOptions: ParsableArguments {
    @Option(name: .customLong("timeout-ms"), help: "Per-query solver timeout in milliseconds; a query that runs out is unknown.")
    var timeoutMilliseconds: UInt32?

    @Option(help: "Z3 random seed (fixed by default, so runs are reproducible).")
    var seed: UInt32 = 0

    func validate() throws {
        if timeoutMilliseconds == 0 { throw ValidationError("--timeout-ms must be at least 1") }
    }
}

extension Barproof {
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every check of the specs and compare verdicts with expectations and recorded proofs.",
            discussion: """
                Prints one line per check (spec/check, invariant, verdict, scope, time) and a summary. \
                Without --record, each verdict is also compared with its record under --proofs, and a \
                difference fails the check with a diff.
                """)

        @Argument(help: "Spec files or directories of *.yaml specs.")
        var paths: [String] = ["Specs"]

        @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: ReportFormat = .text

        @Option(help: "Write the report to this file (atomically) instead of standard output.")
        var output: String?

        @Option(help: "Checks to run in parallel, each with its own Z3 context.")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var solver: SolverOptions

        @Flag(help: "Write proofs/<spec>/<check>.json and the .smt2 queries instead of comparing with them.")
        var record = false

        @Option(help: "Directory of recorded proofs.")
        var proofs: String = "proofs"

        func validate() throws {
            if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("no such spec file or directory: \(path)")
            }
        }

        func run() throws {
            try guarded {
                let specs = try Spec.loadAll(paths)
                let store = RecordStore(directory: proofs)
                let jobList = specs.flatMap { spec in spec.checks.map { Job(spec: spec, check: $0) } }
                // Verdicts alone unless recording: finding dependencies solves every case a second
                // time on a core-tracking solver, and drift is judged on the verdict, not on them.
                let results = runJobs(jobList, workers: jobs, timeoutMilliseconds: solver.timeoutMilliseconds, seed: solver.seed,
                                      findDependencies: record)

                var outcomes: [CheckOutcome] = []
                for (job, result) in zip(jobList, results) {
                    let verdict: Verdict
                    switch result.verdict {
                    case .success(let v): verdict = v
                    case .failure(let error): throw error
                    }
                    var outcome = CheckOutcome(location: job.check.location, check: job.check.name, invariant: job.check.invariant,
                                               policy: job.check.policy.label, platform: job.check.platform.label,
                                               expected: job.check.expect, verdict: verdict, seconds: result.seconds)
                    if !record, outcome.verdict != "unknown",
                       let recorded = try store.record(spec: job.spec.name, check: job.check.name) {
                        let fresh = RecordStore.fresh(outcome, spec: job.spec)
                        outcome.drift = recorded.changes(to: fresh)
                        if record { outcome.notes = recorded.dependencyChange(to: fresh).map { [$0] } ?? [] }
                    }
                    outcomes.append(outcome)
                }

                let status: Int32 = switch Summary(outcomes).status {
                case .pass: Exit.asExpected
                case .fail: Exit.missed
                case .unknown: Exit.inconclusive
                }
                let report: Data
                switch format {
                case .text:
                    report = Data(TextReport.render(outcomes, records: proofs).utf8)
                case .json:
                    report = try JSONReport(outcomes, barproofVersion: Barproof.version, z3Version: Context.fullVersion).encoded()
                case .sarif:
                    report = try SARIFReport(outcomes, barproofVersion: Barproof.version, exitCode: Int(status)).encoded()
                case .junit:
                    report = Data(JUnitReport.render(outcomes, records: proofs).utf8)
                }
                if let output {
                    try writeAtomically(report, to: output)
                } else {
                    FileHandle.standardOutput.write(report)
                }

                if record {
                    for spec in specs {
                        let mine = outcomes.filter { $0.location.spec == spec.name }
                        let written = try store.write(spec: spec, outcomes: mine, timeoutMilliseconds: solver.timeoutMilliseconds,
                                                      seed: solver.seed)
                        printError("recorded \(written.count) files under \(proofs)/\(spec.name)")
                        for outcome in mine where outcome.verdict == "unknown" {
                            printError("not recorded: \(outcome.name) is inconclusive")
                        }
                    }
                }
                return status
            }
        }
    }
}
