import Foundation
import PCIModel
import Prover

/// The JSON output of `barproof search`: schema `barproof-search` version 2, documented in
/// `docs/formats/search.md` and shipped as `schemas/barproof-search.schema.json`. Each
/// counterexample is the ``TopologyCounterexample`` Codable form a fixture's `topology.json` holds.
public struct SearchDocument: Encodable {
    public static let schemaName = "barproof-search"
    public static let schemaVersion = 2
    var schema = Self.schemaName
    var schemaVersion = Self.schemaVersion
    public var barproofVersion: String
    public var checks: [SearchReport]

    public init(barproofVersion: String, checks: [SearchReport]) {
        self.barproofVersion = barproofVersion
        self.checks = checks
    }

    private enum CodingKeys: String, CodingKey {
        case schema, checks
        case schemaVersion = "schema_version"
        case barproofVersion = "barproof_version"
    }
}

/// What `search` found for one check.
public struct SearchReport: Encodable {
    public struct Entry: Encodable {
        public var counterexample: TopologyCounterexample
        public var explanation: [String]
        public var folder: String?
        public var suggestion: String?

        public init(counterexample: TopologyCounterexample, explanation: [String], folder: String?, suggestion: String?) {
            self.counterexample = counterexample
            self.explanation = explanation
            self.folder = folder
            self.suggestion = suggestion
        }
    }

    /// What the search came to (`outcome` in the JSON document).
    public enum Outcome: String, Encodable, Sendable {
        case found, none, unknown
    }

    /// The outcome against the check's expectation.
    public enum Status: Sendable {
        case asExpected, missed, inconclusive
    }

    public var spec: String
    public var check: String
    public var invariant: String
    public var policy: String
    public var platform: String
    public var expected: String
    public var bounds: String
    public var outcome: Outcome
    public var counterexamples: [Entry]
    public var notes: [String]
    /// Fewer counterexamples than asked for and the rest not searched (a limit): never a pass.
    public var inconclusive = false
    public var seconds: Double = 0

    public init(spec: String, check: String, invariant: String, policy: String, platform: String, expected: String,
                bounds: String, outcome: Outcome, counterexamples: [Entry], notes: [String]) {
        self.spec = spec
        self.check = check
        self.invariant = invariant
        self.policy = policy
        self.platform = platform
        self.expected = expected
        self.bounds = bounds
        self.outcome = outcome
        self.counterexamples = counterexamples
        self.notes = notes
    }

    private enum CodingKeys: String, CodingKey {
        case spec, check, invariant, policy, platform, expected, bounds, outcome, counterexamples, notes
    }

    public var status: Status {
        if inconclusive { return .inconclusive }
        let wanted = expected == "refuted"
        return (outcome == .found) == wanted ? .asExpected : .missed
    }

    /// The text `barproof search` prints for the check.
    public var text: String {
        var lines = ["\(spec)/\(check): \(invariant) under \(policy), \(platform) (expected \(expected))"]
        lines.append("  bounds: \(bounds)")
        for (i, entry) in counterexamples.enumerated() {
            lines.append("  counterexample \(i + 1):")
            lines += entry.explanation.map { "    " + $0 }
            if let suggestion = entry.suggestion { lines.append("    mitigation: " + suggestion) }
            if let folder = entry.folder { lines.append("    fixture: \(folder)") }
        }
        lines += notes.map { "  " + $0 }
        let verdict = inconclusive ? "inconclusive (never a pass)"
            : status == .asExpected ? "as expected" : "NOT as expected"
        lines.append("  \(counterexamples.count) counterexample(s), \(verdict), \(String(format: "%.2f", seconds)) s")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The counterexample in plain words, with the page map (``TopologyCounterexample/pageMap(limit:)``).
    public static func explanation(of cx: TopologyCounterexample) -> [String] {
        var lines: [String] = []
        let t = cx.topology
        lines.append("page size \(sizeText(cx.platform.pageSize)); backend \(cx.platform.backend.rawValue); MSIs \(cx.platform.msiIsolated ? "isolated" : "not isolated"); allow_unsafe_interrupts=\(cx.platform.allowUnsafeInterrupts ? 1 : 0)")
        lines.append("host window \(t.hostWindow)" + t.bridges.map { "; bridge \($0.address) window \($0.window)" }.joined())
        for f in t.functions {
            let place = f.upstream.map { "behind \($0)" } ?? "on the root bus"
            let bars = f.bars.map { b in
                "BAR \(b.index) \(b.kind.rawValue)\(b.prefetchable ? " pref" : "")\(b.fixed ? " fixed" : "") \(b.window) (\(sizeText(b.size)))"
            }.joined(separator: ", ")
            var line = "\(f.address) \(place): \(bars)"
            if let m = f.msix { line += "; MSI-X table in BAR \(m.tableBIR) at \(hexText(UInt64(m.tableOffset))), \(m.entries) entries" }
            lines.append(line)
        }
        lines.append("mmap of \(cx.target): offset \(hexText(cx.requestOffset)) length \(hexText(cx.requestLength)) exposes \(cx.exposed)")
        if let foreign = cx.foreign, let bar = t.function(foreign.function)?.bar(foreign.index) {
            let first = Swift.max(cx.exposed.start, bar.start), last = Swift.min(cx.exposed.end, bar.end)
            lines.append("it exposes \(foreign)'s bytes [\(hexText(first)), \(hexText(last))]")
        }
        lines.append("view: \(cx.view)")
        return lines + cx.pageMap()
    }
}
