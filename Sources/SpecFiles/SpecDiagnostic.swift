/// A problem in a spec file, at the line and column a person should look at.
public struct SpecDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in the specs of one run; the run writes nothing when there is any.
public struct SpecErrors: Error, CustomStringConvertible {
    public var diagnostics: [SpecDiagnostic]
    /// Where the SARIF log of the failure went (a file, or standard output), when one was asked for.
    public var sarifLog: String? = nil

    public init(diagnostics: [SpecDiagnostic], sarifLog: String? = nil) {
        self.diagnostics = diagnostics
        self.sarifLog = sarifLog
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Suggestions for misspelt names.
public enum NameSuggestion {
    /// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
    public static func nearest(to name: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(name.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, min(name.count, best.0.count) / 2) ? best.0 : nil
    }

    /// "; did you mean 'x'?" or the list of valid names when none is close.
    public static func hint(for name: String, among candidates: [String]) -> String {
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
