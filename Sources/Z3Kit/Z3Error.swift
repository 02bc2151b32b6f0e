import CZ3

/// A failure reported by Z3, carried as a Swift error instead of reaching Z3's default
/// error handler (which prints and calls `exit`).
public struct Z3Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The raw `Z3_error_code` value (`Z3_SORT_ERROR` = 1, `Z3_EXCEPTION` = 12, ...).
    public let code: UInt32
    /// Z3's own message for the failure.
    public let message: String
    /// What barproof was doing when Z3 failed.
    public let operation: String

    public init(code: UInt32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    public var description: String { "Z3 error \(code) in \(operation): \(message)" }
}
