/// JUnit XML: one `testsuite` per spec, one `testcase` per check; a missed expectation or a
/// drift is a `failure`, an inconclusive check an `error` (never a pass).
public enum JUnitReport {
    public static func render(_ outcomes: [CheckOutcome], records: String? = nil) -> String {
        var specs: [String] = []
        for o in outcomes where !specs.contains(o.location.spec) { specs.append(o.location.spec) }
        let summary = Summary(outcomes)
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        xml.append("<testsuites name=\"barproof\" tests=\"\(summary.total)\" failures=\"\(summary.failed)\" errors=\"\(summary.unknown)\""
                   + " time=\"\(time(outcomes.reduce(0) { $0 + $1.seconds }))\">")
        for spec in specs {
            let mine = outcomes.filter { $0.location.spec == spec }
            let counts = Summary(mine)
            xml.append("  <testsuite name=\"\(escape(spec))\" tests=\"\(counts.total)\" failures=\"\(counts.failed)\""
                       + " errors=\"\(counts.unknown)\" skipped=\"0\" time=\"\(time(mine.reduce(0) { $0 + $1.seconds }))\">")
            for o in mine {
                let open = "    <testcase classname=\"barproof.\(escape(spec))\" name=\"\(escape(o.check))\""
                    + " file=\"\(escape(o.location.file))\" line=\"\(o.location.line)\" time=\"\(time(o.seconds))\""
                let details = TextReport.details(o, records: records).joined(separator: "\n")
                switch o.status {
                case .pass:
                    xml.append(open + "/>")
                case .fail:
                    let message = o.recordProblem ?? (o.verdict != o.expected.rawValue ? "expected \(o.expected.rawValue), got \(o.verdict)"
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
