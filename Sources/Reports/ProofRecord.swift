import Foundation
import PCIModel

/// A recorded verdict, `proofs/<spec>/<check>.json`: what a fresh run must reproduce. The
/// fields in ``comparedFields`` are compared; dependencies are reported when they change (see
/// ``dependencyChange(to:)``); the versions, counterexample text and query file names are kept
/// for the reader. Timing is never recorded.
public struct ProofRecord: Hashable, Sendable, Codable {
    /// Record format version.
    public var format: Int = 1
    public var spec: String
    public var check: String
    /// SHA-256 of the spec file's bytes when recorded.
    public var specSHA256: String
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
        case vacuityWitness = "vacuity_witness"
        case barproofVersion = "barproof_version"
        case z3Version = "z3_version"
    }

    public init(_ outcome: CheckOutcome, specSHA256: String, queries: [String], barproofVersion: String, z3Version: String) {
        spec = outcome.location.spec
        check = outcome.check
        self.specSHA256 = specSHA256
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

    /// The fields a fresh run is compared on, as (name, value) in a fixed order.
    public var comparedFields: [(String, String)] {
        [
            ("spec_sha256", specSHA256),
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

    /// The compared fields where `fresh` differs from this record.
    public func changes(to fresh: ProofRecord) -> [FieldChange] {
        zip(comparedFields, fresh.comparedFields).compactMap { old, new in
            old.1 == new.1 ? nil : FieldChange(field: old.0, recorded: old.1, fresh: new.1)
        }
    }

    /// Deterministic JSON: sorted keys, two-space indent, a final newline.
    public func encoded() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// Reads a record; a document nested deeper than ``NestingLimit/maximumDepth`` throws
    /// ``NestingLimit/Exceeded`` (with its line and column) before the decoder, which recurses
    /// per level, sees it.
    public static func decode(_ data: Data) throws -> ProofRecord {
        try NestingLimit.checkJSON(data)
        return try JSONDecoder().decode(ProofRecord.self, from: data)
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
