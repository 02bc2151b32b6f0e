import PCIModel
import Prover
import VFIORules

/// `topology.json`, the machine-readable half of a fixture folder written by ``FixtureWriter``.
///
/// Schema `barproof-topology/1` (JSON object, keys sorted, two-space indentation):
/// - `schema`: the string `barproof-topology/1`.
/// - `counterexample`: the ``TopologyCounterexample`` as found, in its `Codable` form: `topology`
///   (`pageSize`, `hostWindow` {`start`, `end`}, `bridges` [{`address`, `secondaryBus`, `window`,
///   `upstream`?}], `functions` [{`address`, `vendorID`, `deviceID`, `classCode`, `bars` [{`index`,
///   `kind` (`mem32`/`mem64`/`io`), `prefetchable`, `start`, `size`, `fixed`}], `msix`?, `upstream`?}]),
///   `invariant`, `policy` (label), `policyName`, `removedClauses`, `platform` {`pageSize`,
///   `msiIsolated`, `allowUnsafeInterrupts`, `backend`, `unalignedFixedResources`}, `target`
///   {`function`, `index`}, `requestOffset`, `requestLength`, `exposed` {`start`, `end`}, `foreign`?,
///   `allowedBy`, `view` {`clause`, `foreignKind`, `pageOffsetClass`}. Addresses and sizes are JSON
///   numbers (exact up to 2^64 - 1 for a 64-bit reader); inclusive ends.
/// - `summary`: the same facts as text for people: `invariant`, `statement`, `policy`, `target`,
///   `request`, `exposed`, `pageCount`, `pages` (the first 64), `foreign`?, `allowedThrough`, hex addresses with `0x`.
/// - `reproduce`: `audit` (the `barproof audit` command line that flags the target BAR, run in the
///   fixture folder), `auditWholeBAR` (whether that audit asks the same question: it maps every BAR
///   whole, offset 0 and the page-rounded size, under the type1 backend), and `search` (the
///   `barproof search` command line, when the spec is known).
/// - `snapshot`: the rendered sysfs files in the `barproof-snapshot/1` shape (`schema`, `pageSize`,
///   `kernelParameters`, `iomem`, `devices` {bdf: {`resource`, `config` (hex), `vendor`, `device`,
///   `class`}}), byte for byte the files of the folder's `sys/` and `proc/` tree, so that
///   `barproof audit topology.json` audits exactly what `barproof audit --sysfs .` audits.
public struct TopologyDocument: Codable, Hashable, Sendable {
    public static let schemaName = "barproof-topology/1"

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
    }

    public struct Reproduce: Codable, Hashable, Sendable {
        public var audit: String
        public var auditWholeBAR: Bool
        public var search: String?
    }

    public var schema: String
    public var counterexample: TopologyCounterexample
    public var summary: Summary
    public var reproduce: Reproduce
    public var snapshot: SnapshotDocument
}
