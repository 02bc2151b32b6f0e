import ArgumentParser
import Foundation
import Prover
import Reports
import SpecFiles
import Z3Kit

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

    func validate() throws {
        if timeoutMilliseconds == 0 { throw ValidationError("--timeout-ms must be at least 1") }
        if let timeLimit, !(timeLimit > 0 && timeLimit <= 31_536_000) {
            throw ValidationError("--time-limit must be a number of seconds above 0 (at most a year)")
        }
        if resourceLimit == 0 { throw ValidationError("--rlimit must be at least 1") }
    }

    /// The run's deadline, from `--time-limit`.
    var deadline: ContinuousClock.Instant? { RunClock.deadline(seconds: timeLimit) }
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

        /// The checks `--check` names (each `NAME` or `spec/NAME`), in spec order; every check
        /// without `--check`. A name that matches no check is a usage error naming the closest one.
        static func select(_ names: [String], from specs: [Spec]) throws -> [Job] {
            let all = specs.flatMap { spec in spec.checks.map { Job(spec: spec, check: $0) } }
            guard !names.isEmpty else { return all }
            var chosen = Set<String>()
            for name in names {
                let matches = all.filter { name.contains("/") ? "\($0.spec.name)/\($0.check.name)" == name : $0.check.name == name }
                if matches.isEmpty {
                    let candidates = name.contains("/") ? all.map { "\($0.spec.name)/\($0.check.name)" } : Array(Set(all.map(\.check.name))).sorted()
                    throw UsageError(message: "--check \(name): no such check in the specs given" + NameSuggestion.hint(for: name, among: candidates))
                }
                for job in matches { chosen.insert("\(job.spec.name)/\(job.check.name)") }
            }
            return all.filter { chosen.contains("\($0.spec.name)/\($0.check.name)") }
        }

        func run() throws {
            try guarded {
                let targets = try ReportTargets(format: ReportTargets.Kind(rawValue: format.rawValue) ?? .text, output: output,
                                                extra: [(.sarif, sarif), (.junit, junit), (.json, json)])
                let root = try SourceRootResolution.resolve(srcroot)
                let suppressionsPath = try SuppressionFile.find(suppressions, root: root)
                if let baseline { try Baseline.check(baseline) }
                var written = false
                do {
                    return try prove(targets: targets, root: root, suppressionsPath: suppressionsPath, written: &written)
                } catch var errors as SpecErrors where !written {
                    // Bad input (a spec, a record, the suppressions, the baseline): the SARIF log
                    // says so where one was asked for, so that code scanning shows the failure.
                    errors.sarifLog = try targets.writeFailure(errors.diagnostics.map(\.notice), command: .prove,
                                                               automationID: SARIFReport.Command.prove.automationID(), root: root)
                    throw errors
                }
            }
        }

        func prove(targets: ReportTargets, root: SourceRoot, suppressionsPath: String?, written: inout Bool) throws -> Int32 {
            let specs = try Spec.loadAll(paths)
            let jobList = try Self.select(checks, from: specs)
            let suppressionFile = try suppressionsPath.map { try SuppressionFile.load($0, specs: specs) }
            let baselineReport = try baseline.map { try Baseline.prove($0) }
            suppressionFile?.warnExpired(prove: true)
            let store = try RecordStore.open(proofs, recording: record)
            if record { try store.checkReplaceable(specs) }
            var gate = RecordGate(store: store, recording: record, required: requireRecords)
            // Verdicts alone unless recording: finding dependencies solves every case a second
            // time on a core-tracking solver, and drift is judged on the verdict, not on them.
            let results = runJobs(jobList, workers: jobs, solver: solver, findDependencies: record)

            var outcomes: [CheckOutcome] = []
            var used = Set<SuppressionFile.Target>()
            for (job, result) in zip(jobList, results) {
                let verdict: Verdict
                switch result.verdict {
                case .success(let v): verdict = v
                case .failure(let error): throw error
                }
                var outcome = CheckOutcome(location: job.check.location, check: job.check.name, invariant: job.check.invariant,
                                           policy: job.check.policy.label, platform: job.check.platform.label,
                                           expected: job.check.expect, verdict: verdict, seconds: result.seconds)
                try gate.compare(&outcome, spec: job.spec, check: job.check)
                if outcome.status != .pass {
                    if let entry = suppressionFile?.suppression(spec: job.spec.name, check: job.check.name) {
                        outcome.suppression = entry.suppression
                        used.insert(entry.target)
                    }
                    if let baselineReport {
                        outcome.baselineState = baselineReport.checks.contains(outcome.name) ? .unchanged : .new
                    }
                }
                outcomes.append(outcome)
            }
            suppressionFile?.noteUnused(used, prove: true)

            let status: Int32 = switch Summary(outcomes).status {
            case .pass: Exit.asExpected
            case .fail: Exit.missed
            case .unknown: Exit.inconclusive
            }
            var reports: [ReportTargets.Kind: Data] = [:]
            let wanted = Set([targets.format] + targets.files.map(\.kind))
            for kind in wanted {
                switch kind {
                case .text:
                    reports[kind] = Data(TextReport.render(outcomes, records: store.directory, comparison: gate.comparison).utf8)
                case .json:
                    reports[kind] = try JSONReport(outcomes, barproofVersion: Barproof.version, z3Version: Context.fullVersion,
                                                   records: gate.comparison, suppressions: suppressionFile?.file,
                                                   baseline: baselineReport?.file).encoded()
                case .sarif:
                    reports[kind] = try SARIFReport(outcomes, barproofVersion: Barproof.version, exitCode: Int(status),
                                                    records: gate.comparison, root: root, baseline: baselineReport != nil,
                                                    notices: suppressionFile?.expiredNotices(prove: true) ?? []).encoded()
                case .junit:
                    reports[kind] = Data(JUnitReport.render(outcomes, records: store.directory).utf8)
                }
            }
            written = true
            try targets.write(reports)

            if record, RunControl.signal != nil {
                printError("not recorded: the run was interrupted; \(store.directory) is as it was")
            } else if record {
                for spec in specs {
                    // A signal from here on ends the run after the spec being written: each
                    // spec's records are then the old set or the new one, never a mix.
                    if RunControl.signal != nil {
                        printError("not recorded: \(spec.name) and the specs after it (the run was interrupted)")
                        break
                    }
                    let mine = outcomes.filter { $0.location.spec == spec.name }
                    let (files, kept) = try store.write(spec: spec, outcomes: mine,
                                                        timeoutMilliseconds: solver.timeoutMilliseconds, seed: solver.seed)
                    printError("recorded \(files.count) files under \(store.folder(spec.name))")
                    for outcome in mine where outcome.verdict == .unknown {
                        printError("not recorded: \(outcome.name) is inconclusive"
                                   + (kept.contains(outcome.check) ? "; its previous record is kept" : ""))
                    }
                }
            }
            return status
        }
    }
}

extension SpecCheck {
    /// The check as a request under the command line's solver limits.
    func request(_ solver: SolverOptions, minimiseCore: Bool = false, findDependencies: Bool = true) -> CheckRequest {
        CheckRequest(policy: policy, platform: platform, invariant: invariant, assumptions: assumptions,
                     timeoutMilliseconds: solver.timeoutMilliseconds, seed: solver.seed, minimiseCore: minimiseCore,
                     findDependencies: findDependencies, deadline: solver.deadline, resourceLimit: solver.resourceLimit)
    }
}
