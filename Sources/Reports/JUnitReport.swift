/// JUnit XML: one `testsuite` per spec, one `testcase` per check; a missed expectation or a
/// drift is a `failure`, an inconclusive check an `error` (never a pass). A check excused by a
/// suppression or the baseline is `skipped`, with the justification (or the baseline) as its
/// message and why it did not pass as its text, and counts as neither.
public enum JUnitReport {
    public static func render(_ outcomes: [CheckOutcome], records: String? = nil) -> String {
        var specs: [String] = []
        for o in outcomes where !specs.contains(o.location.spec) { specs.append(o.location.spec) }
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        xml.append("<testsuites name=\"barproof\" tests=\"\(outcomes.count)\" failures=\"\(failures(outcomes))\""
                   + " errors=\"\(errors(outcomes))\" skipped=\"\(outcomes.count(where: \.excused))\""
                   + " time=\"\(time(outcomes.reduce(0) { $0 + $1.seconds }))\">")
        for spec in specs {
            let mine = outcomes.filter { $0.location.spec == spec }
            xml.append("  <testsuite name=\"\(escape(spec))\" tests=\"\(mine.count)\" failures=\"\(failures(mine))\""
                       + " errors=\"\(errors(mine))\" skipped=\"\(mine.count(where: \.excused))\""
                       + " time=\"\(time(mine.reduce(0) { $0 + $1.seconds }))\">")
            for o in mine {
                let open = "    <testcase classname=\"barproof.\(escape(spec))\" name=\"\(escape(o.check))\""
                    + " file=\"\(escape(o.location.file))\" line=\"\(o.location.line)\" time=\"\(time(o.seconds))\""
                let details = TextReport.details(o, records: records).joined(separator: "\n")
                if o.excused {
                    let message = o.suppression.map { "suppressed: \($0.justification)" + ($0.expires.map { " (expires \($0))" } ?? "") }
                        ?? "in the baseline: it did not pass there either"
                    xml.append(open + ">")
                    xml.append("      <skipped message=\"\(escape(message))\">" + escape(details) + "</skipped>")
                    xml.append("    </testcase>")
                    continue
                }
                switch o.status {
                case .pass:
                    xml.append(open + "/>")
                case .fail:
                    let message = o.recordProblem ?? (!o.expected.isMet(by: o.verdict) ? "expected \(o.expected.rawValue), got \(o.verdict)"
                        : "drifted from its recorded proof")
                    let type = o.recordProblem != nil ? "record" : o.drift.isEmpty ? "missed-expectation" : "drift"
                    xml.append(open + ">")
                    xml.append("      <failure type=\"\(type)\" message=\"\(escape(message))\">"
                               + escape(details) + "</failure>")
                    xml.append("    </testcase>")
                case .unknown:
                    xml.append(open + ">")
                    xml.append("      <error type=\"unknown\" message=\"\(escape("inconclusive: " + (o.reason ?? "the solver gave up")))\">"
                               + escape(details) + "</error>")
                    xml.append("    </testcase>")
                }
            }
            xml.append("  </testsuite>")
        }
        xml.append("</testsuites>")
        return xml.joined(separator: "\n") + "\n"
    }

    /// Test cases written as `failure`: checks that failed and count.
    static func failures(_ outcomes: [CheckOutcome]) -> Int { outcomes.count { $0.counts && $0.status == .fail } }

    /// Test cases written as `error`: inconclusive checks that count.
    static func errors(_ outcomes: [CheckOutcome]) -> Int { outcomes.count { $0.counts && $0.status == .unknown } }

    /// XML text and attribute escaping.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out += "&#\(scalar.value);"
            default:
                // XML 1.0 forbids most control characters even escaped.
                if scalar.value < 0x20 { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static func time(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
