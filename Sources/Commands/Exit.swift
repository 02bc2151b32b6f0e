/// The exit codes barproof uses.
public enum Exit {
    public static let asExpected: Int32 = 0
    public static let missed: Int32 = 1
    public static let inconclusive: Int32 = 2
    public static let usage: Int32 = 64
    public static let badInput: Int32 = 65
    public static let internalError: Int32 = 70
    /// An output file or folder could not be created (sysexits EX_CANTCREAT).
    public static let cannotCreate: Int32 = 73
    /// Writing an output failed in the system: I/O error, disk full, file too large (EX_IOERR).
    public static let ioError: Int32 = 74
}

/// A wrong command-line argument found after parsing (an unknown check name, say): exit 64.
public struct UsageError: Error {
    public var message: String

    public init(message: String) {
        self.message = message
    }
}
