import Audit
import Foundation
import PCIModel
import Reports

/// `barproof snapshot`: captures what `audit` reads from a machine, read-only, as one JSON file
/// (``Snapshot``), to standard output or `output`.
public struct SnapshotCapture {
    /// The root to read, a directory laid out like `/`.
    public var root: String
    /// Where the snapshot goes; nil for standard output.
    public var output: String?

    public init(root: String, output: String?) {
        self.root = root
        self.output = output
    }

    /// Takes the snapshot and writes it; returns the exit code (65 when what is read does not audit).
    public func run() throws -> Int32 {
        let files = DirectoryFiles(root: root)
        let commandLine = (try? files.contents(of: "proc/cmdline")).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let snapshot: Snapshot
        do throws(AuditInputError) {
            let taken = try Snapshot.take(from: files, pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))), commandLine: commandLine,
                                          barproofVersion: BarproofRelease.version)
            snapshot = taken.snapshot
            for note in taken.notes { printError("note: \(files.path(note))".escapingControlCharacters) }
        } catch {
            printError("\(files.path(error.file)): \(error.message)".escapingControlCharacters)
            return Exit.badInput
        }
        let data = try JSONOutput.encode(snapshot)
        if let output {
            // Config space may show what is plugged into the host, serial numbers aside: the owner's only.
            try OutputFiles.write(data, to: output, newFileMode: OutputFiles.privateMode)
        } else {
            printOut(String(decoding: data, as: UTF8.self))
        }
        return Exit.asExpected
    }
}
