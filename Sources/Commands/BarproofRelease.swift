/// barproof's version, as `--version` and every report and record state it.
public enum BarproofRelease {
    public static let version = "0.1.0"
}
