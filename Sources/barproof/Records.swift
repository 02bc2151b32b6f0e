import Foundation
import PCIModel
import Prover
import Reports
import Z3Kit

/// The recorded proofs under a directory (`proofs/` by default): `<spec>/<check>.json` and the
/// check's SMT-LIB2 queries `<spec>/<check>.<page>-case<n>.smt2`.
struct RecordStore {
    var directory: String

    func recordPath(spec: String, check: String) -> String { "\(directory)/\(spec)/\(check).json" }

    /// The record of a check, nil when none was written.
    func record(spec: String, check: String) throws -> ProofRecord? {
        let path = recordPath(spec: spec, check: check)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try ProofRecord.decode(data)
        } catch let deep as NestingLimit.Exceeded {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: deep.line, column: deep.column,
                                                          message: "not a barproof proof record: \(deep.message); re-record with `barproof prove --record`")])
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1,
                                                          message: "not a barproof proof record (\(error)); re-record with `barproof prove --record`")])
        }
    }

    /// The fresh record of an outcome, as `--record` would write it (query names left empty).
    static func fresh(_ outcome: CheckOutcome, spec: Spec, queries: [String] = []) -> ProofRecord {
        ProofRecord(outcome, specSHA256: spec.sha256, queries: queries, barproofVersion: Barproof.version,
                    z3Version: Context.fullVersion)
    }

    /// Replaces the records of `spec` with those of `outcomes`, with each check's queries.
    /// Inconclusive checks get no record.
    func write(spec: Spec, outcomes: [CheckOutcome], timeoutMilliseconds: UInt32?, seed: UInt32) throws -> [String] {
        let folder = "\(directory)/\(spec.name)"
        var written: [String] = []
        var files: [(String, Data)] = []
        for outcome in outcomes where outcome.verdict != "unknown" {
            guard let check = spec.checks.first(where: { $0.name == outcome.check }) else { continue }
            let queries = try check.request(timeoutMilliseconds: timeoutMilliseconds, seed: seed).queries()
            var names: [String] = []
            for query in queries {
                let name = "\(check.name).\(query.name).smt2"
                names.append(name)
                files.append(("\(folder)/\(name)", Data(query.text.utf8)))
            }
            let record = Self.fresh(outcome, spec: spec, queries: names)
            files.append((recordPath(spec: spec.name, check: check.name), try record.encoded()))
        }
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
        for (path, data) in files.sorted(by: { $0.0 < $1.0 }) {
            try writeAtomically(data, to: path)
            written.append(path)
        }
        return written
    }
}
