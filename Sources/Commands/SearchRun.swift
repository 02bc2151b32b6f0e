import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import SpecFiles
import VFIORules

/// `barproof search`: searches bounded machines for counterexamples to each check of a spec (or
/// the one `checkName` names), re-checks each, and with `out` writes each as a fixture folder
/// and reads it back before reporting it.
public struct SearchRun {
    /// A spec file, or a spec name under `Specs/`.
    public var spec: String
    /// `--check`: only this check.
    public var checkName: String?
    /// `--max`: up to this many counterexamples per check, with pairwise different views.
    public var max: Int
    public var minimize: Bool
    /// `--out`: the folder the fixture folders are written under.
    public var out: String?
    /// `--suggest`: a proved mitigation for each counterexample.
    public var suggest: Bool
    /// `--resource-lines`: the layout of each fixture's sysfs `resource` files.
    public var resourceLines: Topology.ResourceLines
    /// `--exhaustive`: search the bounds even where the pair model decides.
    public var exhaustive: Bool
    public var solver: SolverSettings

    public init(spec: String, checkName: String?, max: Int, minimize: Bool, out: String?, suggest: Bool,
                resourceLines: Topology.ResourceLines, exhaustive: Bool, solver: SolverSettings) {
        self.spec = spec
        self.checkName = checkName
        self.max = max
        self.minimize = minimize
        self.out = out
        self.suggest = suggest
        self.resourceLines = resourceLines
        self.exhaustive = exhaustive
        self.solver = solver
    }

    /// The reports of a search, one per check, and its exit code.
    public struct Outcome {
        public var reports: [SearchReport]
        /// 0 when every check's outcome matches its expectation, 1 when one does not, 2 when one is
        /// inconclusive (and none missed).
        public var exitCode: Int32

        /// The reports as text.
        public var text: String { reports.map { $0.text }.joined(separator: "\n") }

        /// The reports as one `barproof-search` document.
        public func json() throws -> String {
            String(decoding: try JSONOutput.encode(SearchDocument(barproofVersion: BarproofRelease.version, checks: reports)), as: UTF8.self)
        }
    }

    /// Searches every check. Bad search bounds are bad input (``SpecErrors``), and an `out`
    /// that cannot be written is found out before any solving.
    public func run() throws -> Outcome {
        let specPath = try resolveSpecPath(spec)
        let spec = try Spec.load(path: specPath)
        let checks = try checkName.map { [try findCheck($0, in: spec)] } ?? spec.checks
        for check in checks where !check.search.problems.isEmpty {
            throw SpecErrors(diagnostics: check.search.problems.map {
                SpecDiagnostic(file: check.location.file, line: check.location.line, column: check.location.column,
                               message: "search bounds of check '\(check.name)': \($0)")
            })
        }
        // A fixture folder that cannot be written is found out before searching, not after.
        if let out { try OutputFiles.checkCanCreate(in: out) }
        var reports: [SearchReport] = []
        var worst = Exit.asExpected
        for check in checks {
            let report = try searchOne(check, spec: spec, specPath: specPath)
            reports.append(report)
            worst = Swift.max(worst, report.status.exitCode)
        }
        return Outcome(reports: reports, exitCode: worst == Exit.missed || worst == Exit.inconclusive ? worst : Exit.asExpected)
    }

    func searchOne(_ check: SpecCheck, spec: Spec, specPath: String) throws -> SearchReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = SearchReport(spec: spec.name, check: check.name, invariant: check.invariant.rawValue,
                                  policy: check.policy.label, platform: check.platform.label, expected: check.expect.rawValue,
                                  bounds: Self.describe(check.search), outcome: .none, counterexamples: [], notes: [])
        // --timeout-ms bounds this check's whole search (the pair-model proof included), and
        // --time-limit the whole run.
        var request = check.request(solver, findDependencies: false)
        let limits = request.limits(from: started)
        request.deadline = limits.deadline
        request.timeoutMilliseconds = nil
        let search = TopologySearch(policy: check.policy, platform: check.platform, invariant: check.invariant,
                                    bounds: check.search, limits: limits, seed: solver.seed)
        if !exhaustive {
            // A proof over the pair model covers every topology, so every machine in the bounds.
            switch try request.run() {
            case .proved, .vacuous:
                report.outcome = .none
                report.notes.append("no counterexample exists within the bounds: the pair model proves \(check.invariant.rawValue) for all topologies")
                report.seconds = (clock.now - started).seconds
                return report
            case .unknown(let reason):
                report.notes.append("the pair model is inconclusive (\(reason)); the bounds are searched")
            case .refuted:
                break
            }
        }
        // Each counterexample is written out (and read back) as soon as it is found, so one that
        // a signal or a limit interrupts keeps every fixture it reported, each complete.
        let progress = Progress(quiet: solver.quiet)
        defer { progress.finish() }
        // With --max above 1, the views the pair model proves unreachable on every machine are
        // not searched for: the search ends once the others are found (PairViewOracle).
        var possible: Set<ViewKey>?
        var pageSizes: [PageSize]?
        let oracle = PairViewOracle(policy: check.policy, platform: check.platform, invariant: check.invariant,
                                    assumptions: check.assumptions, minBARSize: check.search.minBARSize, limits: limits,
                                    seed: solver.seed)
        if !exhaustive {
            // A page size at which the pair model, with the bounds' smallest BAR, proves the
            // invariant is not searched: no machine within the bounds shows a violation there.
            pageSizes = try oracle.pageSizesToSearch()
            if let pageSizes {
                for page in check.platform.pageSizes where !pageSizes.contains(page) {
                    report.notes.append("\(page) pages not searched: the pair model proves \(check.invariant.rawValue) there "
                                        + "for every machine within the bounds (memory BARs of at least \(sizeText(check.search.minBARSize)))")
                }
            }
        }
        if max > 1 && !exhaustive {
            progress.update("\(check.name): deciding which views any machine can show (pair model)")
            possible = try oracle.possibleViews()
            if let possible {
                report.notes.append("views any machine can show (pair model): \(possible.count) of \(PairViewOracle.viewSpace(check.invariant).count)")
            } else {
                report.notes.append("the pair model could not decide which views are reachable (limits); the bounds are searched for every view")
            }
        }
        let specCopy = try out.map { _ in try SpecCopy(path: specPath) }
        let result = try search.run(max: max, minimize: minimize, possible: possible, pageSizes: pageSizes, found: { example in
            var entry = SearchReport.Entry(counterexample: example, explanation: SearchReport.explanation(of: example), folder: nil, suggestion: nil)
            let mitigation = suggest ? try search.mitigation(for: example, bounds: check.search) : nil
            entry.suggestion = mitigation?.text
            if let out {
                let folder = URL(fileURLWithPath: out).appendingPathComponent("\(spec.name)-\(check.name)-\(report.counterexamples.count + 1)")
                let proved = mitigation.flatMap { $0.isProved ? $0.text : nil }
                // Written and read back whole before a signal may end the process.
                let problems = try RunControl.critical {
                    try FixtureWriter(spec: specCopy, checkID: check.name, mitigation: proved, barproofVersion: BarproofRelease.version,
                                      resourceLines: resourceLines)
                        .write(example, to: folder)
                    return FixtureRoundTrip.check(counterexample: example, folder: folder)
                }
                if !problems.isEmpty {
                    throw ProverError("the fixture in \(folder.path) does not round-trip: " + problems.joined(separator: "; "))
                }
                entry.folder = folder.path
            }
            report.counterexamples.append(entry)
        }, progress: { progress.update("\(check.name): " + $0) })
        report.notes += result.notes
        if let unknown = result.unknown {
            report.outcome = result.counterexamples.isEmpty ? .unknown : .found
            report.notes.append("search incomplete: \(unknown)")
            // Fewer than --max found and the rest not searched: whether more views exist is
            // undecided, and undecided is never a pass.
            if result.counterexamples.count < max {
                report.inconclusive = true
                if !result.counterexamples.isEmpty {
                    report.notes.append("\(result.counterexamples.count) of up to \(max) found; whether further views exist within the bounds is undecided")
                }
            }
        } else if result.counterexamples.isEmpty {
            report.outcome = .none
            report.notes.append("no counterexample within the bounds (searched exhaustively)")
        } else {
            report.outcome = .found
            if result.exhausted && result.counterexamples.count < max {
                report.notes.append("the view space is exhausted: \(result.counterexamples.count) distinct view(s) within the bounds, fewer than --max \(max)")
            }
        }
        report.seconds = (clock.now - started).seconds
        return report
    }

    static func describe(_ b: SearchBounds) -> String {
        var text = "up to \(b.devices) devices x \(b.barsPerDevice) BARs, \(b.bridges) bridge(s), BAR sizes \(sizeText(b.minBARSize))...\(sizeText(b.maxBARSize)), MMIO \(b.mmio)"
        if let alignment = b.resourceAlignment, !alignment.entries.isEmpty { text += ", resource_alignment set" }
        return text
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension SearchReport.Status {
    /// `barproof search`'s exit code for this status.
    var exitCode: Int32 {
        switch self {
        case .asExpected: Exit.asExpected
        case .missed: Exit.missed
        case .inconclusive: Exit.inconclusive
        }
    }
}
