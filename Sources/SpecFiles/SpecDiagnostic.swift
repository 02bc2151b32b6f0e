/// A problem in a spec file, at the line and column a person should look at.
struct SpecDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    var file: String
    var line: Int
    var column: Int
    var message: String

    var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in the specs of one run; the run writes nothing when there is any.
struct SpecErrors: Error, CustomStringConvertible {
    var diagnostics: [SpecDiagnostic]
    /// Where the SARIF log of the failure went (a file, or standard output), when one was asked for.
    var sarifLog: String? = nil

    var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Suggestions for misspelt names.
enum NameSuggestion {
    /// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
    static func nearest(to name: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(name.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, min(name.count, best.0.count) / 2) ? best.0 : nil
    }

    /// "; did you mean 'x'?" or the list of valid names when none is close.
    static func hint(for name: String, among candidates: [String]) -> String {
        if let near = nearest(to: name, among: candidates) { return "; did you mean '\(near)'?" }
        return "; expected one of: " + candidates.joined(separator: ", ")
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
