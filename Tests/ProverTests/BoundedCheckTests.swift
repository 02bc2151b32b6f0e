import PCIModel
import Prover
import Testing
import VFIORules

/// The pair model's soundness argument (PairModel.swift), checked: over machines with the mmapped
/// device and two others, 3 BARs each (the target BAR plus 8 other resources, each of any device,
/// inside or outside the parent window), the same rules find no violation where the pair model
/// proves none, and still find the ones it finds. (The bounded run checks one representative of the
/// per-neighbour cases; `PairProver.symmetryReduced` says why that loses nothing.)
@Suite(.timeLimit(.minutes(1))) struct BoundedCheckTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let policy: Policy
        let invariant: Invariant
        let platform: PlatformSpec
        var testDescription: String { "\(policy.label) \(invariant.rawValue) \(platform.label)" }
    }

    static let rows: [Row] = [
        Row(policy: .legacy, invariant: .pageExclusive, platform: PlatformSpec(pageSizes: [.kib64])),
        Row(policy: .rfcV4, invariant: .pageExclusive, platform: PlatformSpec(pageSizes: [.kib64])),
        Row(policy: .mainline, invariant: .pageExclusive, platform: PlatformSpec(pageSizes: [.kib64])),
        Row(policy: .mainline, invariant: .pageExclusive, platform: PlatformSpec(pageSizes: [.kib4])),
        Row(policy: .rfcV4, invariant: .msixNeedsFiltering, platform: PlatformSpec(pageSizes: [.kib64])),
        Row(policy: .mainline, invariant: .msixNeedsFiltering,
            platform: PlatformSpec(pageSizes: [.kib64], allowUnsafeInterrupts: false, backends: [.type1, .iommufd])),
        Row(policy: .mainline, invariant: .mmapWithinBAR, platform: PlatformSpec(pageSizes: [.kib64])),
        Row(policy: try! Policy.mainline.removing(["subpage-reservation"]), invariant: .pageExclusive,
            platform: PlatformSpec(pageSizes: [.kib64])),
    ]

    @Test(arguments: rows)
    func boundedAgreesWithPairModel(row: Row) throws {
        let pair = try PairProver(platform: row.platform, neighbours: 1)
            .check(row.invariant, policy: row.policy, dependencies: false)
        let bounded = try PairProver(platform: row.platform, neighbours: 8)
            .check(row.invariant, policy: row.policy, dependencies: false)
        #expect(pair.name != "unknown" && bounded.name != "unknown")
        // A violation on a larger machine that the pair model misses would refute the argument.
        #expect(pair.name == bounded.name, "pair: \(pair.name), bounded: \(bounded.name)")
    }
}
