import Foundation
import PCIModel
import Prover
import Reports
import VFIORules

extension SpecCheck {
    /// The check's canonical form: every field of the parsed check that can change its verdict or
    /// its search, and nothing of how the spec file spells it (comments, key order, spacing, the
    /// spelling of a page size or a byte count, `description`), as sorted-key JSON.
    ///
    /// - `name`, `invariant`, `expect`;
    /// - the policy: its name, the dropped clauses (sorted) and the clause ids it keeps, in order;
    /// - the platform (`PlatformSpec`, already normalised: page sizes sorted, backends in model order);
    /// - the assumptions, sorted (their order does not change a proof);
    /// - the search bounds (`resource_alignment` as its entries' orders and selectors, without the
    ///   byte offsets the parser keeps for messages).
    ///
    /// `schema` names this form, so a later change to it is a change of every digest, not a silent
    /// reinterpretation.
    public var canonicalForm: Data {
        struct Alignment: Encodable {
            var order: Int?
            var selector: ResourceAlignmentParameter.DeviceSelector
        }
        struct Search: Encodable {
            var devices: Int
            var bars: Int
            var bridges: Int
            var minBARSize: UInt64
            var maxBARSize: UInt64
            var mmioStart: UInt64
            var mmioEnd: UInt64
            var resourceAlignment: [Alignment]?
            var fixedBARs: Bool
        }
        struct Canonical: Encodable {
            var schema = "barproof-check/1"
            var name: String
            var invariant: String
            var expect: String
            var policy: String
            var dropped: [String]
            var clauses: [String]
            var platform: PlatformSpec
            var assumptions: [String]
            var search: Search
        }
        let bounds = search
        let canonical = Canonical(
            name: name, invariant: invariant.rawValue, expect: expect.rawValue, policy: policy.name,
            dropped: policy.removed.sorted(), clauses: policy.clauses.map(\.id), platform: platform,
            assumptions: assumptions.map(\.rawValue).sorted(),
            search: Search(devices: bounds.devices, bars: bounds.barsPerDevice, bridges: bounds.bridges,
                           minBARSize: bounds.minBARSize, maxBARSize: bounds.maxBARSize,
                           mmioStart: bounds.mmio.start, mmioEnd: bounds.mmio.end,
                           resourceAlignment: bounds.resourceAlignment?.entries.map { Alignment(order: $0.order, selector: $0.selector) },
                           fixedBARs: bounds.fixedBARs))
        // Every field is a plain value; encoding cannot fail.
        return (try? JSONOutput.canonical(canonical)) ?? Data()
    }

    /// SHA-256 of ``canonicalForm``: `check_sha256` in a record (format 2).
    public var digest: String { SHA256.hex([UInt8](canonicalForm)) }
}
