import Foundation
import Reports
import SpecFiles

/// `barproof export-smt2`: the exact SMT-LIB2 queries of a spec's checks (or of one), written
/// into a folder together.
public struct SMT2Export {
    /// A spec file, or a spec name under `Specs/`.
    public var spec: String
    /// Only this check; nil for every check of the spec.
    public var check: String?
    /// The folder the `<check>.<page>-case<n>.smt2` files go into.
    public var out: String
    public var solver: SolverSettings

    public init(spec: String, check: String?, out: String, solver: SolverSettings) {
        self.spec = spec
        self.check = check
        self.out = out
        self.solver = solver
    }

    /// Writes every query file, all of them or none; returns their paths in the order written.
    public func run() throws -> [String] {
        let spec = try Spec.load(path: try resolveSpecPath(self.spec))
        let checks = try check.map { [try findCheck($0, in: spec)] } ?? spec.checks
        var files: [(name: String, data: Data)] = []
        for check in checks {
            let request = check.request(solver)
            for query in try request.queries() {
                files.append(("\(check.name).\(query.name).smt2", Data(query.text.utf8)))
            }
        }
        // All of them or none: a new folder is built aside and renamed into place; into an
        // existing one the files are staged, then renamed in together (the old ones kept
        // until all are in). A signal waits for the renames.
        try OutputFiles.checkCanCreate(in: out)
        var status = stat()
        try RunControl.critical {
            if stat(out, &status) != 0 && errno == ENOENT {
                try OutputFiles.writeFolder(Dictionary(files.map { ($0.name, Array($0.data)) }, uniquingKeysWith: { $1 }),
                                            to: out, replacing: { _ in "it appeared while barproof was writing" })
            } else {
                try OutputFiles.write(files.map { ("\(out)/\($0.name)", $0.data) })
            }
        }
        return files.map { "\(out)/\($0.name)" }
    }
}
