/// The human report of a run: one aligned line per check (status, spec/check, invariant,
/// verdict, scope, time), details under each check that did not pass, then a summary.
public enum TextReport {
    public static func render(_ outcomes: [CheckOutcome], records recordsDirectory: String? = nil,
                              comparison: RecordComparison? = nil) -> String {
        let rows = outcomes.map { o in
            [label(o), o.name, o.invariant.rawValue, o.verdict.rawValue, o.scope ?? "-", seconds(o.seconds)]
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines: [String] = []
        for (row, outcome) in zip(rows, outcomes) {
            let padded = row.enumerated().map { i, cell in
                i == row.count - 1 ? String(repeating: " ", count: widths[i] - cell.count) + cell
                    : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            lines.append(padded.joined(separator: "  "))
            lines += details(outcome, records: recordsDirectory).map { "    " + $0 }
        }
        let summary = Summary(outcomes)
        let total = outcomes.reduce(0) { $0 + $1.seconds }
        lines.append("")
        lines.append("\(summary.total) checks: \(summary.passed) as expected, \(summary.failed) failed"
                     + (summary.drifted > 0 ? " (\(summary.drifted) drifted from their records)" : "")
                     + (summary.missingRecords > 0 ? " (\(summary.missingRecords) without a record)" : "")
                     + ", \(summary.unknown) unknown"
                     + (summary.suppressed + summary.baselineUnchanged > 0
                        ? "; not counted: " + [summary.suppressed > 0 ? "\(summary.suppressed) suppressed" : nil,
                                               summary.baselineUnchanged > 0 ? "\(summary.baselineUnchanged) in the baseline" : nil]
                            .compactMap { $0 }.joined(separator: ", ")
                        : "")
                     + "; \(seconds(total)) of solving")
        if let comparison { lines.append(comparison.line) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Why a check did not pass, in lines a reviewer can act on.
    public static func details(_ o: CheckOutcome, records: String?) -> [String] {
        var lines: [String] = []
        let place = "\(o.location.file):\(o.location.line):\(o.location.column)"
        switch o.status {
        case .pass:
            break
        case .unknown:
            lines.append("\(place): inconclusive (never a pass): \(o.reason ?? "the solver gave up")")
        case .fail:
            if let problem = o.recordProblem { lines.append("\(place): record: \(problem)") }
            if o.verdict == .unknown {
                lines.append("\(place): inconclusive (never a pass): \(o.reason ?? "the solver gave up")")
            } else if !o.expected.isMet(by: o.verdict) {
                lines.append("\(place): expected \(o.expected.rawValue), got \(o.verdict)")
                lines.append("policy \(o.policy); \(o.platform)")
                if let reason = o.reason { lines.append("reason: \(reason)") }
                if !o.dependencies.isEmpty { lines.append("depends on: " + o.dependencies.joined(separator: ", ")) }
                lines += o.counterexample.map { "counterexample: " + $0 }
            }
            if !o.drift.isEmpty {
                let path = (records ?? "proofs") + "/\(o.location.spec)/\(o.check).json"
                lines.append("drift: \(o.name) no longer matches its recorded proof \(path)")
                for change in o.drift {
                    lines.append("- \(change.field): \(change.recorded)")
                    lines.append("+ \(change.field): \(change.fresh)")
                }
                lines.append("re-record with `barproof prove --record` if the change is intended")
            }
        }
        if o.status != .pass {
            if let suppression = o.suppression {
                lines.append("suppressed by \(suppression.text): reported, not counted")
            } else if o.baselineState == .unchanged, o.status == .unknown {
                lines.append("in the baseline, but unknown: it counts (the baseline excuses failures only)")
            } else if o.baselineState == .unchanged {
                lines.append("in the baseline: it did not pass there either, so it is reported, not counted")
            } else if o.baselineState == .new {
                lines.append("new: not in the baseline")
            }
        }
        for note in o.notes {
            if note.field == "format" {
                let path = (records ?? "proofs") + "/\(o.location.spec)/\(o.check).json"
                lines.append("note: \(path) is record format \(note.recorded): its spec_sha256 is not compared; "
                             + "re-record with `barproof prove --record` (format \(note.fresh) compares check_sha256)")
                continue
            }
            lines.append("note: \(note.field) differ from the record (not compared: unsat cores are not unique)")
            lines.append("- \(note.field): \(note.recorded)")
            lines.append("+ \(note.field): \(note.fresh)")
        }
        return lines
    }

    /// `PASS`, `FAIL`, `UNKNOWN`, or for a check that did not pass but is excused, `SUPPRESSED`
    /// or `BASELINE`.
    static func label(_ o: CheckOutcome) -> String {
        if o.excused { return o.suppression != nil ? "SUPPRESSED" : "BASELINE" }
        return label(o.status)
    }

    static func label(_ status: Status) -> String {
        switch status {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .unknown: "UNKNOWN"
        }
    }

    static func seconds(_ s: Double) -> String {
        let centis = Int((s * 100).rounded())
        let fraction = centis % 100
        return "\(centis / 100).\(fraction < 10 ? "0" : "")\(fraction) s"
    }
}
