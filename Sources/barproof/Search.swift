import ArgumentParser
import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import SpecFiles
import VFIORules

extension Barproof {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search bounded machines for counterexample topologies and write them out as fixtures.",
            discussion: """
                For each check (or the one named with --check), searches machines within the spec's \
                'search' bounds for placements on which the policy grants an mmap that breaks the \
                invariant. Counterexamples are re-checked with the concrete rules; with --out each is \
                written as a fixture folder (topology.json, a sysfs tree, memory-map.svg, README.md) \
                and read back through the audit importers before it is reported. When the pair model \
                proves the invariant for all topologies, no machine within the bounds can break it, \
                and the search says so without searching (--exhaustive searches the bounds anyway). \
                Exit: 0 when the outcome matches the check's expectation (counterexamples for \
                'refuted', none for 'proved'/'vacuous'), 1 when it does not, 2 when inconclusive.
                """)

        @Argument(help: "A spec file, or a spec name under Specs/.")
        var spec: String

        @Option(name: .customLong("check"), help: "Search only this check (its name; default: every check).")
        var checkName: String?

        @Option(help: "Up to this many counterexamples per check, with pairwise different views.")
        var max: Int = 1

        @Flag(help: "Minimise each counterexample: fewest devices, fewest BARs, smallest sizes, lowest addresses.")
        var minimize = false

        @Option(help: "Write one fixture folder per counterexample under this directory.")
        var out: String?

        @Flag(help: "For each counterexample, a mitigation (a pci=resource_alignment= value or a clause) with a proof that it holds on that machine.")
        var suggest = false

        @Option(help: "Lines in each fixture's sysfs 'resource' file: 13 (a kernel with CONFIG_PCI_IOV, as distributions build) or 7 (without).")
        var resourceLines: ResourceLinesOption = .thirteen

        @Flag(help: "Search the bounds themselves: no pair-model proof that no counterexample exists, nor that further views cannot.")
        var exhaustive = false

        @Option(help: "Output format: text or json.")
        var format: SearchFormat = .text

        @OptionGroup var solver: SolverOptions

        func validate() throws {
            if max < 1 { throw ValidationError("--max must be at least 1") }
        }

        func run() throws {
            try guarded {
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
                switch format {
                case .text: printOut(reports.map { $0.text }.joined(separator: "\n"))
                case .json:
                    printOut(String(decoding: try JSONOutput.encode(SearchDocument(barproofVersion: Barproof.version, checks: reports)), as: UTF8.self))
                }
                return worst == Exit.missed || worst == Exit.inconclusive ? worst : Exit.asExpected
            }
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
            if max > 1 && !exhaustive {
                progress.update("\(check.name): deciding which views any machine can show (pair model)")
                possible = try PairViewOracle(policy: check.policy, platform: check.platform, invariant: check.invariant,
                                              assumptions: check.assumptions, limits: limits, seed: solver.seed).possibleViews()
                if let possible {
                    report.notes.append("views any machine can show (pair model): \(possible.count) of \(PairViewOracle.viewSpace(check.invariant).count)")
                } else {
                    report.notes.append("the pair model could not decide which views are reachable (limits); the bounds are searched for every view")
                }
            }
            let specCopy = try out.map { _ in try SpecCopy(path: specPath) }
            let result = try search.run(max: max, minimize: minimize, possible: possible, found: { example in
                var entry = SearchReport.Entry(counterexample: example, explanation: SearchReport.explanation(of: example), folder: nil, suggestion: nil)
                let mitigation = suggest ? try search.mitigation(for: example, bounds: check.search) : nil
                entry.suggestion = mitigation?.text
                if let out {
                    let folder = URL(fileURLWithPath: out).appendingPathComponent("\(spec.name)-\(check.name)-\(report.counterexamples.count + 1)")
                    let proved = mitigation.flatMap { $0.isProved ? $0.text : nil }
                    // Written and read back whole before a signal may end the process.
                    let problems = try RunControl.critical {
                        try FixtureWriter(spec: specCopy, checkID: check.name, mitigation: proved, barproofVersion: Barproof.version,
                                          resourceLines: resourceLines.layout)
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
}

enum SearchFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--resource-lines 7|13`.
enum ResourceLinesOption: String, ExpressibleByArgument, CaseIterable {
    case seven = "7", thirteen = "13"

    var layout: Topology.ResourceLines { self == .seven ? .withoutIOV : .withIOV }
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
