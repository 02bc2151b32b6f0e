import Foundation
import PCIModel
import Prover
import Reports
import VFIORules

/// `topology.json`, the machine-readable half of a fixture folder written by ``FixtureWriter``:
/// schema `barproof-topology` version 2, documented field by field in `docs/formats/topology.md`
/// and shipped as `schemas/barproof-topology.schema.json`. Its `counterexample` is the
/// ``TopologyCounterexample`` in its Codable form (snake_case, addresses and sizes as `"0x..."`);
/// its `snapshot` is the rendered sysfs files as a snapshot document, byte for byte the files of
/// the folder's `sys/` and `proc/` tree, so that `barproof audit topology.json` audits exactly
/// what `barproof audit --sysfs .` audits.
///
/// Version 1 (`"schema": "barproof-topology/1"`, camelCase keys, numbers) is still read by
/// ``read(_:)``, through its own decoding (``LegacyTopologyDocument``), because fixtures written
/// by older barproofs sit in users' repositories and bug reports.
public struct TopologyDocument: Codable, Hashable, Sendable {
    public static let schemaName = "barproof-topology"
    public static let schemaVersion = 2
    /// The `schema` of a version 1 document, which carried its version in the name.
    public static let legacySchemaName = "barproof-topology/1"
    /// Every `schema` string that names a topology document this barproof reads.
    public static let schemaNames: Set<String> = [schemaName, legacySchemaName]

    public struct Summary: Codable, Hashable, Sendable {
        public var invariant: String
        public var statement: String
        public var policy: String
        public var target: String
        public var request: String
        public var exposed: String
        /// How many pages the mapping exposes.
        public var pageCount: UInt64
        /// The first 64 of them.
        public var pages: [String]
        public var foreign: String?
        public var allowedThrough: String

        enum CodingKeys: String, CodingKey {
            case invariant, statement, policy, target, request, exposed, pages, foreign
            case pageCount = "page_count"
            case allowedThrough = "allowed_through"
        }
    }

    public struct Reproduce: Codable, Hashable, Sendable {
        public var audit: String
        public var auditWholeBAR: Bool
        public var search: String?

        enum CodingKeys: String, CodingKey {
            case audit, search
            case auditWholeBAR = "audit_whole_bar"
        }
    }

    public var schema: String
    public var schemaVersion: Int
    /// The barproof that wrote the document.
    public var barproofVersion: String
    public var counterexample: TopologyCounterexample
    public var summary: Summary
    public var reproduce: Reproduce
    public var snapshot: SnapshotDocument

    enum CodingKeys: String, CodingKey {
        case schema, counterexample, summary, reproduce, snapshot
        case schemaVersion = "schema_version"
        case barproofVersion = "barproof_version"
    }

    public init(barproofVersion: String, counterexample: TopologyCounterexample, summary: Summary, reproduce: Reproduce,
                snapshot: SnapshotDocument) {
        schema = Self.schemaName
        schemaVersion = Self.schemaVersion
        self.barproofVersion = barproofVersion
        self.counterexample = counterexample
        self.summary = summary
        self.reproduce = reproduce
        self.snapshot = snapshot
    }

    /// Reads a topology document of either version; version 1 is converted (its `schema` and
    /// `schema_version` become version 2's, `version` says which was read, and its
    /// `barproofVersion` is `unknown`: version 1 did not record it). Every problem is a
    /// ``JSONInput/Problem`` at its line and column, among them a `schema` or `schema_version`
    /// this barproof does not read.
    public static func read(_ data: Data) throws(JSONInput.Problem) -> (document: TopologyDocument, version: Int) {
        struct Header: Decodable {
            var schema: String
            var schema_version: Int?
        }
        let header = try JSONInput.decode(Header.self, from: data)
        switch header.schema {
        case legacySchemaName:
            return (try JSONInput.decode(LegacyTopologyDocument.self, from: data).document, 1)
        case schemaName:
            guard let version = header.schema_version else {
                throw JSONInput.problem(at: [], in: data, "it has no 'schema_version' field")
            }
            guard version == schemaVersion else {
                throw JSONInput.problem(atKeys: ["schema_version"], in: data,
                                        "\(schemaName) version \(version) is not one this barproof reads (1 or \(schemaVersion))")
            }
            return (try JSONInput.decode(TopologyDocument.self, from: data), version)
        default:
            throw JSONInput.problem(atKeys: ["schema"], in: data,
                                    "schema '\(header.schema)' is not \(schemaName) (or \(legacySchemaName))")
        }
    }
}
