import Foundation
import PCIModel

/// A recorded verdict, `proofs/<spec>/<check>.json`: what a fresh run must reproduce. The
/// fields in ``comparedFields`` are compared; dependencies are reported when they change (see
/// ``dependencyChange(to:)``); the versions, counterexample text and query file names are kept
/// for the reader. Timing is never recorded. Documented field by field in
/// `docs/formats/proof-record.md`, schema `schemas/barproof-proof-record.schema.json`.
///
/// Version 3 (`"schema": "barproof-proof-record"`, `"schema_version": 3`) is version 2 with the
/// header every barproof JSON document has instead of `format`; its compared fields are version 2's,
/// so a record re-recorded from 2 to 3 compares the same. Version 2 (`"format": 2`) records
/// `check_sha256`, a digest of the check's canonical parsed form (what it checks, not how the spec
/// file spells it), so a comment or a reordered key is not drift and a changed value is. Version 1
/// (`"format": 1`) recorded `spec_sha256`, the SHA-256 of the spec file's bytes; it is read, its
/// other fields compared, and `spec_sha256` is not compared: the run notes "record format 1:
/// re-record" instead (``formatNote``). Versions 1 and 2 are still read because users' repositories
/// hold them; any other version is bad input.
public struct ProofRecord: Hashable, Sendable, Codable {
    public static let schema = "barproof-proof-record"
    /// The record version this barproof writes, as `schema_version`.
    public static let currentFormat = 3
    /// The versions this barproof reads.
    public static let readableFormats = 1...currentFormat
    /// The versions written as `"format": N` rather than `schema`/`schema_version`.
    public static let legacyFormats = 1...2

    /// Record version: `schema_version` from 3 on, `format` before.
    public var format: Int = Self.currentFormat
    public var spec: String
    public var check: String
    /// Format 1 only: SHA-256 of the spec file's bytes when recorded. Not compared.
    public var specSHA256: String?
    /// Version 2 on: SHA-256 of the check's canonical form (name, invariant, policy and its clauses,
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
        case format, schema, spec, check, invariant, policy, platform, verdict, scope, assumptions, dependencies, reason
        case counterexample, queries
        case specSHA256 = "spec_sha256"
        case checkSHA256 = "check_sha256"
        case vacuityWitness = "vacuity_witness"
        case barproofVersion = "barproof_version"
        case z3Version = "z3_version"
        case schemaVersion = "schema_version"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.schema) {
            format = try c.decode(Int.self, forKey: .schemaVersion)
        } else {
            format = try c.decode(Int.self, forKey: .format)
        }
        spec = try c.decode(String.self, forKey: .spec)
        check = try c.decode(String.self, forKey: .check)
        specSHA256 = try c.decodeIfPresent(String.self, forKey: .specSHA256)
        checkSHA256 = try c.decodeIfPresent(String.self, forKey: .checkSHA256)
        invariant = try c.decode(String.self, forKey: .invariant)
        policy = try c.decode(String.self, forKey: .policy)
        platform = try c.decode(String.self, forKey: .platform)
        verdict = try c.decode(String.self, forKey: .verdict)
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
        assumptions = try c.decode([String].self, forKey: .assumptions)
        dependencies = try c.decode([String].self, forKey: .dependencies)
        vacuityWitness = try c.decodeIfPresent(Bool.self, forKey: .vacuityWitness)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        counterexample = try c.decode([String].self, forKey: .counterexample)
        queries = try c.decode([String].self, forKey: .queries)
        barproofVersion = try c.decode(String.self, forKey: .barproofVersion)
        z3Version = try c.decode(String.self, forKey: .z3Version)
    }

    /// A record is written in the header of its version: `schema`/`schema_version` from 3 on,
    /// `format` before (so a record read and written again keeps its version).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if Self.legacyFormats.contains(format) {
            try c.encode(format, forKey: .format)
        } else {
            try c.encode(Self.schema, forKey: .schema)
            try c.encode(format, forKey: .schemaVersion)
        }
        try c.encode(spec, forKey: .spec)
        try c.encode(check, forKey: .check)
        try c.encodeIfPresent(specSHA256, forKey: .specSHA256)
        try c.encodeIfPresent(checkSHA256, forKey: .checkSHA256)
        try c.encode(invariant, forKey: .invariant)
        try c.encode(policy, forKey: .policy)
        try c.encode(platform, forKey: .platform)
        try c.encode(verdict, forKey: .verdict)
        try c.encodeIfPresent(scope, forKey: .scope)
        try c.encode(assumptions, forKey: .assumptions)
        try c.encode(dependencies, forKey: .dependencies)
        try c.encodeIfPresent(vacuityWitness, forKey: .vacuityWitness)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encode(counterexample, forKey: .counterexample)
        try c.encode(queries, forKey: .queries)
        try c.encode(barproofVersion, forKey: .barproofVersion)
        try c.encode(z3Version, forKey: .z3Version)
    }

    public init(_ outcome: CheckOutcome, checkSHA256: String, queries: [String], barproofVersion: String, z3Version: String) {
        spec = outcome.location.spec
        check = outcome.check
        self.checkSHA256 = checkSHA256
        invariant = outcome.invariant.rawValue
        policy = outcome.policy
        platform = outcome.platform
        verdict = outcome.verdict.rawValue
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

    /// For a version 1 record: a note that it is compared on fewer fields and should be
    /// re-recorded. A version 2 record is compared on every field version 3 has, so it gets none:
    /// the header alone is no reason to re-record.
    public var formatNote: FieldChange? {
        format < 2 ? FieldChange(field: "format", recorded: String(format), fresh: String(Self.currentFormat)) : nil
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

    /// Reads a record of a readable version. Every problem is a ``JSONInput/Problem`` at its line
    /// and column: a document that is not JSON, nests deeper than ``NestingLimit/maximumDepth``
    /// or repeats a key (``JSONStructure``); a `schema` other than `barproof-proof-record`, or a
    /// missing or unknown `schema_version` (or, without `schema`, `format`), at that value; a
    /// record without the digest its version carries; a field of the wrong type.
    public static func decode(_ data: Data) throws(JSONInput.Problem) -> ProofRecord {
        struct Header: Decodable {
            var format: Int?
            var schema: String?
            var schema_version: Int?
        }
        let header = try JSONInput.decode(Header.self, from: data)
        let format: Int
        if let schema = header.schema {
            guard schema == Self.schema else {
                throw JSONInput.problem(at: [CodingKeys.schema], in: data,
                                        "schema '\(schema)' is not \(Self.schema)", namingPath: false)
            }
            guard let version = header.schema_version else {
                throw JSONInput.problem(at: [], in: data, "it has no 'schema_version' field")
            }
            guard readableFormats.contains(version), !legacyFormats.contains(version) else {
                throw JSONInput.problem(at: [CodingKeys.schemaVersion], in: data,
                                        "record schema_version \(version) is not one this barproof reads "
                                        + "(\(currentFormat); 1 and 2 as 'format'); a newer barproof wrote it, or it is damaged",
                                        namingPath: false)
            }
            format = version
        } else {
            guard let legacy = header.format else {
                throw JSONInput.problem(at: [], in: data, "it has no 'schema' (or, before version 3, 'format') field")
            }
            guard legacyFormats.contains(legacy) else {
                throw JSONInput.problem(at: [CodingKeys.format], in: data,
                                        "record format \(legacy) is not one this barproof reads "
                                        + "(\(legacyFormats.lowerBound)-\(legacyFormats.upperBound); version 3 on is 'schema_version'); "
                                        + "a newer barproof wrote it, or it is damaged",
                                        namingPath: false)
            }
            format = legacy
        }
        let record = try JSONInput.decode(ProofRecord.self, from: data)
        if format == 1 && record.specSHA256 == nil { throw JSONInput.problem(at: [], in: data, "a format 1 record needs 'spec_sha256'") }
        if format >= 2 && record.checkSHA256 == nil {
            throw JSONInput.problem(at: [], in: data, "a version \(format) record needs 'check_sha256'")
        }
        return record
    }
}

/// The one JSON encoder setting every barproof output uses.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        if var bytes = try? DocumentEncoder.encode(value) {
            bytes.append(0x0A)
            return Data(bytes)
        }
        return try foundationEncode(value)
    }

    /// Foundation's `JSONEncoder` with barproof's settings: what ``DocumentEncoder`` reproduces,
    /// and what it falls back to.
    public static func foundationEncode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// The compact canonical form a digest is taken of: sorted keys, no whitespace, slashes as
    /// they are. Its bytes must never change (recorded proofs hold digests of it).
    public static func canonical<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
