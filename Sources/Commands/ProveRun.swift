import Foundation
import Prover
import Reports
import SpecFiles
import Z3Kit

/// `barproof prove`: runs every check of the specs (or those `checks` names), compares each
/// verdict with its expectation and its recorded proof, excuses what the suppressions and the
/// baseline excuse, writes the reports and, with `record`, the records.
public struct ProveRun {
    /// Spec files or directories of specs.
    public var paths: [String]
    /// The `--format` report, to standard output or `output`.
    public var format: ReportTargets.Kind
    public var output: String?
    /// The extra report files: `--sarif`, `--junit`, `--json`.
    public var sarif: String?
    public var junit: String?
    public var json: String?
    public var srcroot: String?
    /// `--check`: each `NAME` or `spec/NAME`; empty for every check.
    public var checks: [String]
    public var suppressions: String?
    public var baseline: String?
    /// Checks run in parallel.
    public var jobs: Int
    public var solver: SolverSettings
    public var record: Bool
    /// `--proofs`; nil for the default `proofs`.
    public var proofs: String?
    public var requireRecords: Bool

    public init(paths: [String], format: ReportTargets.Kind, output: String?, sarif: String?, junit: String?, json: String?,
                srcroot: String?, checks: [String], suppressions: String?, baseline: String?, jobs: Int, solver: SolverSettings,
                record: Bool, proofs: String?, requireRecords: Bool) {
        self.paths = paths
        self.format = format
        self.output = output
        self.sarif = sarif
        self.junit = junit
        self.json = json
        self.srcroot = srcroot
        self.checks = checks
        self.suppressions = suppressions
        self.baseline = baseline
        self.jobs = jobs
        self.solver = solver
        self.record = record
        self.proofs = proofs
        self.requireRecords = requireRecords
    }

    /// Runs the checks and writes every report; returns the exit code (0, 1 or 2). Bad input
    /// throws ``SpecErrors`` after writing the SARIF log of the failure where one was asked for.
    public func run() throws -> Int32 {
        let targets = try ReportTargets(format: format, output: output, extra: [(.sarif, sarif), (.junit, junit), (.json, json)])
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

        let status = Summary(outcomes).status.exitCode
        var reports: [ReportTargets.Kind: Data] = [:]
        let wanted = Set([targets.format] + targets.files.map(\.kind))
        for kind in wanted {
            switch kind {
            case .text:
                reports[kind] = Data(TextReport.render(outcomes, records: store.directory, comparison: gate.comparison).utf8)
            case .json:
                reports[kind] = try JSONReport(outcomes, barproofVersion: BarproofRelease.version, z3Version: Context.fullVersion,
                                               records: gate.comparison, suppressions: suppressionFile?.file,
                                               baseline: baselineReport?.file).encoded()
            case .sarif:
                reports[kind] = try SARIFReport(outcomes, barproofVersion: BarproofRelease.version, exitCode: Int(status),
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

extension Status {
    /// The exit code of a run (or a check) with this status: 0, 1 or 2.
    var exitCode: Int32 {
        switch self {
        case .pass: Exit.asExpected
        case .fail: Exit.missed
        case .unknown: Exit.inconclusive
        }
    }
}
