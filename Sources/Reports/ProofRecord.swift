import Foundation
import PCIModel

/// A recorded verdict, `proofs/<spec>/<check>.json`: what a fresh run must reproduce. The
/// fields in ``comparedFields`` are compared; dependencies are reported when they change (see
/// ``dependencyChange(to:)``); the versions, counterexample text and query file names are kept
/// for the reader. Timing is never recorded.
///
/// Format 2 records `check_sha256`, a digest of the check's canonical parsed form (what it checks,
/// not how the spec file spells it), so a comment or a reordered key is not drift and a changed
/// value is. Format 1 recorded `spec_sha256`, the SHA-256 of the spec file's bytes; it is read, its
/// other fields compared, and `spec_sha256` is not compared: the run notes "record format 1:
/// re-record" instead (``formatNote``). Any other format is bad input.
public struct ProofRecord: Hashable, Sendable, Codable {
    /// The record format this barproof writes.
    public static let currentFormat = 2
    /// The formats this barproof reads.
    public static let readableFormats = 1...currentFormat

    /// Record format version.
    public var format: Int = Self.currentFormat
    public var spec: String
    public var check: String
    /// Format 1 only: SHA-256 of the spec file's bytes when recorded. Not compared.
    public var specSHA256: String?
    /// Format 2: SHA-256 of the check's canonical form (name, invariant, policy and its clauses,
    /// platform, assumptions, expectation, search bounds), as `barproof prove` computes it.
    public var checkSHA256: String?
    public var invariant: String
    public var policy: String
    public var platform: String
    public var verdict: String
    public var scope: String?
    public var assumptions: [String]
    public var dependencies: [String]
    public var vacuityWitness: Bool?
    public var reason: String?
    public var counterexample: [String]
    /// The `.smt2` files written beside the record, one per page size and violation case.
    public var queries: [String]
    public var barproofVersion: String
    public var z3Version: String

    enum CodingKeys: String, CodingKey {
        case format, spec, check, invariant, policy, platform, verdict, scope, assumptions, dependencies, reason
        case counterexample, queries
        case specSHA256 = "spec_sha256"
        case checkSHA256 = "check_sha256"
        case vacuityWitness = "vacuity_witness"
        case barproofVersion = "barproof_version"
        case z3Version = "z3_version"
    }

    public init(_ outcome: CheckOutcome, checkSHA256: String, queries: [String], barproofVersion: String, z3Version: String) {
        spec = outcome.location.spec
        check = outcome.check
        self.checkSHA256 = checkSHA256
        invariant = outcome.invariant.rawValue
        policy = outcome.policy
        platform = outcome.platform
        verdict = outcome.verdict
        scope = outcome.scope
        assumptions = outcome.assumptions
        dependencies = outcome.dependencies
        vacuityWitness = outcome.vacuityWitness
        reason = outcome.reason
        counterexample = outcome.counterexample
        self.queries = queries.sorted()
        self.barproofVersion = barproofVersion
        self.z3Version = z3Version
    }

    /// The fields a fresh run is compared on, as (name, value) in a fixed order. A format 1
    /// record has no `check_sha256` and its `spec_sha256` is not compared.
    public var comparedFields: [(String, String)] {
        (format >= 2 ? [("check_sha256", checkSHA256 ?? "none")] : []) + [
            ("invariant", invariant),
            ("policy", policy),
            ("platform", platform),
            ("verdict", verdict),
            ("scope", scope ?? "none"),
            ("assumptions", assumptions.joined(separator: ", ")),
            ("vacuity_witness", vacuityWitness.map { $0 ? "present" : "absent" } ?? "none"),
        ]
    }

    /// Dependency changes, reported but not failed on: without core minimisation a dependency
    /// list is whichever unsat core Z3 found, and any change to the encoding may pick another.
    public func dependencyChange(to fresh: ProofRecord) -> FieldChange? {
        dependencies == fresh.dependencies ? nil
            : FieldChange(field: "dependencies", recorded: dependencies.joined(separator: ", "),
                          fresh: fresh.dependencies.joined(separator: ", "))
    }

    /// For an older record: a note that it is compared on fewer fields and should be re-recorded.
    public var formatNote: FieldChange? {
        format < Self.currentFormat ? FieldChange(field: "format", recorded: String(format), fresh: String(Self.currentFormat)) : nil
    }

    /// The compared fields of this record where `fresh` differs.
    public func changes(to fresh: ProofRecord) -> [FieldChange] {
        let now = Dictionary(fresh.comparedFields, uniquingKeysWith: { first, _ in first })
        return comparedFields.compactMap { name, old in
            let new = now[name] ?? "none"
            return old == new ? nil : FieldChange(field: name, recorded: old, fresh: new)
        }
    }

    /// Deterministic JSON: sorted keys, two-space indent, a final newline.
    public func encoded() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// Reads a record of a readable format. Every problem is a ``JSONInput/Problem`` at its line
    /// and column: a document that is not JSON, nests deeper than ``NestingLimit/maximumDepth``
    /// or repeats a key (``JSONStructure``); a missing or unknown `format` (at the `format` value);
    /// a record without the digest its format carries; a field of the wrong type.
    public static func decode(_ data: Data) throws(JSONInput.Problem) -> ProofRecord {
        struct Header: Decodable { var format: Int? }
        guard let format = try JSONInput.decode(Header.self, from: data).format else {
            throw JSONInput.problem(at: [], in: data, "it has no 'format' field")
        }
        guard readableFormats.contains(format) else {
            throw JSONInput.problem(at: [CodingKeys.format], in: data,
                                    "record format \(format) is not one this barproof reads "
                                    + "(\(readableFormats.lowerBound)-\(readableFormats.upperBound)); a newer barproof wrote it, or it is damaged",
                                    namingPath: false)
        }
        let record = try JSONInput.decode(ProofRecord.self, from: data)
        if format == 1 && record.specSHA256 == nil { throw JSONInput.problem(at: [], in: data, "a format 1 record needs 'spec_sha256'") }
        if format >= 2 && record.checkSHA256 == nil {
            throw JSONInput.problem(at: [], in: data, "a format \(format) record needs 'check_sha256'")
        }
        return record
    }
}

/// The one JSON encoder setting every barproof output uses.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
