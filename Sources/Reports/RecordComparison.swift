/// What the drift gate of one `barproof prove` run checked: how many checks were compared with a
/// recorded proof, under which directory. Every report carries it, so a run that compared nothing
/// (no `proofs/` where it ran) says so instead of passing in silence.
public struct RecordComparison: Hashable, Sendable, Codable {
    /// The records directory, as given (`proofs` by default).
    public var directory: String
    /// The directory exists.
    public var found: Bool
    /// `--record`: records were written, not compared.
    public var recording: Bool
    /// `--require-records`: a check without a record fails.
    public var required: Bool
    /// Checks in the run.
    public var checks: Int
    /// Checks whose verdict was compared with their record.
    public var compared: Int
    /// Checks that have no record (in a spec with no records folder).
    public var withoutRecord: Int
    /// Checks not compared because their verdict is unknown.
    public var inconclusive: Int

    enum CodingKeys: String, CodingKey {
        case directory, found, recording, required, checks, compared, inconclusive
        case withoutRecord = "without_record"
    }

    public init(directory: String, found: Bool, recording: Bool, required: Bool, checks: Int = 0, compared: Int = 0,
                withoutRecord: Int = 0, inconclusive: Int = 0) {
        self.directory = directory
        self.found = found
        self.recording = recording
        self.required = required
        self.checks = checks
        self.compared = compared
        self.withoutRecord = withoutRecord
        self.inconclusive = inconclusive
    }

    /// `directory/`, as reports name it.
    public var folder: String { directory.hasSuffix("/") ? directory : directory + "/" }

    /// The report line, e.g. `records: 13 of 13 checks compared with proofs/`.
    public var line: String {
        if recording { return "records: recording under \(folder) (not compared)" }
        if !found {
            return "records: no records compared (no \(folder) directory here)" + (required ? "; --require-records fails every check" : "")
        }
        var line = "records: \(compared) of \(checks) check\(checks == 1 ? "" : "s") compared with \(folder)"
        var why: [String] = []
        if withoutRecord > 0 { why.append("\(withoutRecord) without a record" + (required ? ", failed by --require-records" : "")) }
        if inconclusive > 0 { why.append("\(inconclusive) inconclusive") }
        if !why.isEmpty { line += " (" + why.joined(separator: ", ") + ")" }
        return line
    }
}
