import PCIModel
import Prover
import Testing
import VFIORules
import Z3Kit

/// The core issue's verdict table, row by row, each decided as `barproof prove` decides a check
/// (`CheckRequest.run()`: one pair-model prover per page size, the verdicts combined in order).
///
/// Time limit: whole checks of the verdict table, 6 s for all 16 in a debug build on a loaded
/// 2-core machine (26 s for the slowest alone before they went through `CheckRequest`), so
/// 2 minutes leaves a wide margin.
@Suite(.timeLimit(.minutes(2))) struct VerdictTableTests {
    func check(_ invariant: Invariant, _ policy: Policy, _ platform: PlatformSpec = .any,
               assumptions: [Assumption] = Assumption.defaults, dependencies: Bool = false) throws -> Verdict {
        try CheckRequest(policy: policy, platform: platform, invariant: invariant, assumptions: assumptions,
                         findDependencies: dependencies, deadline: .now + .seconds(120)).run()
    }

    func proof(_ verdict: Verdict, sourceLocation: SourceLocation = #_sourceLocation) -> Proof? {
        guard case let .proved(proof) = verdict else {
            Issue.record("expected proved, got \(verdict.name): \(verdict)", sourceLocation: sourceLocation)
            return nil
        }
        return proof
    }

    func counterexample(_ verdict: Verdict, sourceLocation: SourceLocation = #_sourceLocation) -> Counterexample? {
        guard case let .refuted(example) = verdict else {
            Issue.record("expected refuted, got \(verdict.name)", sourceLocation: sourceLocation)
            return nil
        }
        return example
    }

    @Test(arguments: [PageSize.kib4, .kib64])
    func legacyPageExclusive(page: PageSize) throws {
        let p = proof(try check(.pageExclusive, .legacy, PlatformSpec(pageSizes: [page])))
        #expect(p?.scope == .allTopologies(neighbours: 1))
        #expect(p?.vacuityWitness != nil)
    }

    /// The MSI-X table is excluded by the kernel's `u32 + u16` overlap test, which a table ending at
    /// BAR offset 2^32 passes: the counterexample is such a table, in a BAR of at least 4 GiB,
    /// on a well-formed machine.
    @Test func legacyMSIXIsRefutedThroughTheWrap() throws {
        guard let example = counterexample(try check(.msixNeedsFiltering, .legacy)) else { return }
        Self.expectWrap(example)
    }

    static func expectWrap(_ example: Counterexample, sourceLocation: SourceLocation = #_sourceLocation) {
        let s = example.situation, c = Concrete()
        #expect(s.msix.present, sourceLocation: sourceLocation)
        #expect(s.msix.tableOffset + s.msix.tableSize >= 1 << 32, "the table ends at or past BAR offset 2^32", sourceLocation: sourceLocation)
        #expect(!s.requestOverlapsTable(c), "the kernel's test passes", sourceLocation: sourceLocation)
        #expect(s.tableReachable(c), sourceLocation: sourceLocation)
        #expect(!s.platform.msiIsolated, sourceLocation: sourceLocation)
        #expect(Assumption.wellFormedPCI.holds(s, c), sourceLocation: sourceLocation)
    }

    @Test func legacyWithoutTableExclusionIsRefuted() throws {
        let policy = try Policy.legacy.removing(["msix-table-excluded"])
        let example = counterexample(try check(.msixNeedsFiltering, policy, PlatformSpec(msiIsolated: false)))
        guard let s = example?.situation else { return }
        #expect(s.msix.present)
        #expect(!s.platform.msiIsolated)
        #expect(s.tableReachable(Concrete()))
    }

    @Test func rfcPageExclusive64K() throws {
        _ = proof(try check(.pageExclusive, .rfcV4, PlatformSpec(pageSizes: [.kib64])))
    }

    /// The RFC kept the legacy overlap test (a reconstruction), so its wrap refutes it too.
    @Test func rfcMSIXNeedsFilteringIsRefutedThroughTheWrap() throws {
        guard let example = counterexample(try check(.msixNeedsFiltering, .rfcV4)) else { return }
        Self.expectWrap(example)
    }

    @Test func mainlinePageExclusiveDependencies() throws {
        let verdict = try check(.pageExclusive, .mainline, PlatformSpec(pageSizes: [.kib64]), dependencies: true)
        guard let p = proof(verdict) else { return }
        #expect(p.dependencies.contains("mainline.subpage-reservation"))
        #expect(p.dependencies.contains("natural-alignment"))
        #expect(!p.dependencies.contains { $0.contains("msi") || $0.contains("attach") })
    }

    @Test func mainlineWithoutReservationIsRefuted() throws {
        let policy = try Policy.mainline.removing(["subpage-reservation"])
        guard let s = counterexample(try check(.pageExclusive, policy, PlatformSpec(pageSizes: [.kib64])))?.situation else { return }
        let page: UInt64 = 65536
        #expect(s.bar.resource.size < page)
        #expect(s.bar.resource.start % page == 0)
        let other = s.neighbours[0]
        #expect(!other.sameDevice)
        // The foreign BAR lies in the rest of the same 64 KiB page.
        #expect(other.bar.resource.start / page == s.bar.resource.start / page)
        #expect(other.bar.resource.start >= s.bar.resource.start + s.bar.resource.size)
    }

    @Test func mainlineUnalignedFixedIsRefuted() throws {
        let platform = PlatformSpec(pageSizes: [.kib64], unalignedFixedResources: true)
        guard let s = counterexample(try check(.pageExclusive, .mainline, platform))?.situation else { return }
        // Whatever machine Z3 picks, the mmapped BAR is a firmware-fixed/EA resource of at least a
        // page that is not naturally aligned (an unaligned start, or a size that is no power of two).
        let c = Concrete()
        #expect(s.bar.fixed)
        #expect(s.bar.resource.size >= 65536)
        #expect(!c.naturallyAligned(s.bar.resource))
    }

    /// The issue's witness, evaluated concretely: a 64 KiB fixed BAR at a start that is not
    /// page-aligned, mapped whole, exposes the foreign BAR just below it in the same page.
    @Test func unalignedFixedBARExposesItsPageNeighbour() {
        let c = Concrete()
        let page: UInt64 = 65536
        var a = Assignment()
        a.truths = ["bar.memory": true, "bar.fixed": true, "bar.claimed": true, "platform.unaligned-fixed": true,
                    "platform.backend-type1": true, "platform.msi-isolated": true, "other0.claimed": true,
                    "other0.memory": true, "other0.in-parent": true, "other0.same-device": false]
        a.words = ["bar.start": 0xfe01_1000, "bar.size": page, "bar.index": 0,
                   "parent.start": 0xfe00_0000, "parent.size": 0x10_0000,
                   "other0.start": 0xfe01_0000, "other0.size": 0x1000, "other0.index": 2,
                   "mmap.offset": 0, "mmap.length": page,
                   "msix.table-size": 16, "msix.pba-size": 8, "msix.table-bir": 7, "msix.pba-bir": 7]
        let s = Situation<Concrete>.concrete(a, neighbours: 1, pageShift: 16)
        #expect(s.wellFormed(c))
        #expect(PlatformSpec(pageSizes: [.kib64], unalignedFixedResources: true).constrains(s.platform, c))
        #expect(Policy.mainline.allows(s, c))
        for assumption in Assumption.defaults { #expect(assumption.holds(s, c), "\(assumption)") }
        #expect(Invariant.pageExclusive.violated(s, c))
        // With natural alignment required, the same machine is not allowed to exist.
        #expect(!PlatformSpec(pageSizes: [.kib64]).constrains(s.platform, c) || !Assumption.naturalAlignment.holds(s, c))
    }

    @Test func mainlineUnsafeInterruptsIsRefuted() throws {
        let platform = PlatformSpec(msiIsolated: false, allowUnsafeInterrupts: true)
        guard let s = counterexample(try check(.msixNeedsFiltering, .mainline, platform))?.situation else { return }
        #expect(s.platform.allowUnsafeInterrupts)
        #expect(!s.platform.msiIsolated)
        #expect(s.tableReachable(Concrete()))
    }

    @Test func mainlineSafeInterruptsIsProved() throws {
        let platform = PlatformSpec(allowUnsafeInterrupts: false, backends: [.type1, .iommufd])
        guard let p = proof(try check(.msixNeedsFiltering, .mainline, platform, dependencies: true)) else { return }
        #expect(p.dependencies.contains("mainline.attach-isolated-msi"))
    }

    @Test(arguments: Policy.all)
    func mmapWithinBAR(policy: Policy) throws {
        _ = proof(try check(.mmapWithinBAR, policy))
    }

    // MARK: Releases (README, "Kernel releases")

    /// 4.8-4.15: the sub-page reservation beside the legacy MSI-X test, refuted through its wrap.
    @Test(arguments: ["4.8", "4.11"])
    func wrapRefutesMSIXBefore416(release: String) throws {
        let policy = try KernelRelease.named(release).policy
        guard let example = counterexample(try check(.msixNeedsFiltering, policy, PlatformSpec(pageSizes: [.kib4]),
                                                     assumptions: Assumption.defaults(for: policy))) else { return }
        Self.expectWrap(example)
    }

    /// 4.11-6.2 attach a device whose MSIs are not remapped when no MSI irq domain is registered
    /// (`irq_domain_check_msi_remap()` is then true); 4.4-4.10 and 6.3+ do not.
    @Test(arguments: [("4.4", "vacuous"), ("4.8", "vacuous"), ("4.11", "refuted"), ("4.16", "refuted"), ("5.19", "refuted"),
                      ("6.2", "refuted"), ("6.3", "vacuous"), ("6.18", "vacuous")])
    func withoutMSIDomain(release: String, expected: String) throws {
        let policy = try KernelRelease.named(release).policy
        let platform = PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: false, backends: [.type1],
                                    hostFacts: [.msiDomainPresent: false, .busIntrRemap: false, .groupIntrRemap: false])
        let verdict = try check(.msixNeedsFiltering, policy, platform, assumptions: Assumption.defaults(for: policy))
        #expect(verdict.name == expected, "\(release): \(verdict)")
        if case let .refuted(example) = verdict {
            #expect(!example.situation.platform[.msiDomainPresent])
            #expect(example.situation.tableReachable(Concrete()))
        }
    }

    /// 6.3+ attach only isolated groups: proved with unsafe interrupts off, for type1 and iommufd.
    @Test(arguments: ["6.3", "6.6", "6.12", "6.18"])
    func isolatedMSIAttachProves(release: String) throws {
        let policy = try KernelRelease.named(release).policy
        let platform = PlatformSpec(pageSizes: [.kib4], allowUnsafeInterrupts: false, backends: [.type1, .iommufd])
        _ = proof(try check(.msixNeedsFiltering, policy, platform, assumptions: Assumption.defaults(for: policy)))
    }

    /// 3.6-4.7 on arm/arm64 under PCI_PROBE_ONLY: a device opens with an unclaimed BAR, which may
    /// overlap another device's; without PROBE_ONLY every release proves page-exclusive.
    @Test(arguments: KernelRelease.all.map(\.name))
    func pageExclusiveAndProbeOnly(release: String) throws {
        let policy = try KernelRelease.named(release).policy
        let early = ["4.4", "4.6"].contains(release)
        let open = try check(.pageExclusive, policy, PlatformSpec(pageSizes: [.kib64]))
        #expect(open.name == (early ? "refuted" : "proved"), "\(release): \(open)")
        if case let .refuted(example) = open {
            #expect(example.situation.platform[.probeOnly])
            #expect(!example.situation.bar.claimed)
        }
        let without = try check(.pageExclusive, policy, PlatformSpec(pageSizes: [.kib64], hostFacts: [.probeOnly: false]))
        #expect(without.name == "proved", "\(release): \(without)")
    }
}
