import PCIModel
import Prover
import Testing
import VFIORules

/// The core issue's verdict table, row by row.
@Suite struct VerdictTableTests {
    func check(_ invariant: Invariant, _ policy: Policy, _ platform: PlatformSpec = .any,
               assumptions: [Assumption] = Assumption.defaults) throws -> Verdict {
        try PairProver(platform: platform, timeoutMilliseconds: 60_000).check(invariant, policy: policy, assumptions: assumptions)
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

    @Test func legacyMSIXIsVacuous() throws {
        let verdict = try check(.msixNeedsFiltering, .legacy)
        guard case let .vacuous(_, reason) = verdict else {
            Issue.record("expected vacuous, got \(verdict.name)")
            return
        }
        #expect(reason.contains("MSI-X"))
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

    @Test func rfcMSIXNeedsFiltering() throws {
        _ = proof(try check(.msixNeedsFiltering, .rfcV4))
    }

    @Test func mainlinePageExclusiveDependencies() throws {
        guard let p = proof(try check(.pageExclusive, .mainline, PlatformSpec(pageSizes: [.kib64]))) else { return }
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
        #expect(s.bar.resource.size >= 65536)
        #expect(s.bar.resource.start % 65536 != 0)
        #expect(s.bar.fixed)
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
        guard let p = proof(try check(.msixNeedsFiltering, .mainline, platform)) else { return }
        #expect(p.dependencies.contains("mainline.attach-isolated-msi"))
    }

    @Test(arguments: Policy.all)
    func mmapWithinBAR(policy: Policy) throws {
        _ = proof(try check(.mmapWithinBAR, policy))
    }
}
