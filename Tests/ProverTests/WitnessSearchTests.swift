@testable import Prover
import PCIModel
import Testing
import VFIORules

/// `WitnessSearch` supplies vacuity witnesses without the solver. A witness it returns must
/// satisfy every formula the solver would be given; one must exist for every non-vacuous shipped
/// check (else the shortcut is dead weight), and none may exist where the solver proves the
/// premise impossible.
@Suite(.timeLimit(.minutes(1))) struct WitnessSearchTests {
    static let rows: [(Policy, Invariant, PlatformSpec)] = {
        var rows: [(Policy, Invariant, PlatformSpec)] = []
        for page in [PageSize.kib4, .kib64] {
            for policy in Policy.all {
                for invariant in Invariant.allCases where !(policy.name == "legacy" && invariant == .msixNeedsFiltering) {
                    rows.append((policy, invariant, PlatformSpec(pageSizes: [page])))
                }
            }
            rows.append((.mainline, .msixNeedsFiltering,
                         PlatformSpec(pageSizes: [page], allowUnsafeInterrupts: false, backends: [.type1, .iommufd])))
            rows.append((.mainline, .pageExclusive, PlatformSpec(pageSizes: [page], unalignedFixedResources: true)))
        }
        return rows
    }()

    @Test(arguments: rows.indices)
    func findsAWitnessThatHolds(_ row: Int) throws {
        let (policy, invariant, platform) = Self.rows[row]
        let witness = try #require(WitnessSearch.first(invariant, policy: policy, assumptions: Assumption.defaults,
                                                       platform: platform, neighbours: 1),
                                   "\(policy.label) \(invariant.rawValue) \(platform.label): no witness")
        // Re-evaluated here, formula by formula, so that a bug in `satisfies` cannot hide one.
        let c = Concrete()
        let s = Situation<Concrete>.concrete(witness, neighbours: 1, pageShift: platform.fixedPageShift)
        #expect(s.wellFormed(c))
        #expect(platform.constrains(s.platform, c))
        for clause in policy.clauses { #expect(clause.rule.holds(s, c), "\(clause.id) fails on the witness") }
        for assumption in Assumption.defaults { #expect(assumption.holds(s, c), "\(assumption.rawValue) fails") }
        #expect(invariant.premise(s, c))
    }

    @Test(arguments: [PageSize.kib4, .kib64])
    func noWitnessWhereThePremiseIsImpossible(page: PageSize) {
        #expect(WitnessSearch.first(.msixNeedsFiltering, policy: .legacy, assumptions: Assumption.defaults,
                                    platform: PlatformSpec(pageSizes: [page]), neighbours: 1) == nil)
    }

    /// Negative control: the same witness with one fact broken is rejected.
    @Test func aBrokenWitnessIsRejected() throws {
        let platform = PlatformSpec(pageSizes: [.kib64])
        let witness = try #require(WitnessSearch.first(.pageExclusive, policy: .mainline, assumptions: Assumption.defaults,
                                                       platform: platform, neighbours: 1))
        func holds(_ a: Assignment) -> Bool {
            WitnessSearch.satisfies(a, .pageExclusive, .mainline, Assumption.defaults, platform, 1, platform.fixedPageShift)
        }
        #expect(holds(witness))
        var offGrid = witness
        offGrid.words["bar.start", default: 0] += 8  // no longer naturally aligned
        #expect(!holds(offGrid))
        var ownDevice = witness
        ownDevice.truths["other0.same-device"] = true  // the premise needs another device
        #expect(!holds(ownDevice))
        var unclaimed = witness
        unclaimed.truths["bar.claimed"] = false  // enable-requires-claimed
        #expect(!holds(unclaimed))
    }

    /// The prover's verdicts do not depend on where the witness came from: the vacuous check stays
    /// vacuous with the premise's cores as dependencies, and a proof keeps a witness.
    @Test func verdictsWithTheShortcut() throws {
        // 6.3+ attach no device whose MSIs are not isolated while unsafe interrupts are off.
        let policy = try KernelRelease.named("6.3").policy
        let vacuous = try PairProver(platform: PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: false,
                                                            backends: [.type1]))
            .check(.msixNeedsFiltering, policy: policy, dependencies: true)
        guard case let .vacuous(proof, _) = vacuous else {
            Issue.record("expected vacuous, got \(vacuous.name)")
            return
        }
        #expect(proof.dependencies.contains("linux-6.3.attach-isolated-msi"))
        let proved = try PairProver(platform: PlatformSpec(pageSizes: [.kib4])).check(.pageExclusive, policy: .legacy,
                                                                                     dependencies: false)
        guard case let .proved(p) = proved else {
            Issue.record("expected proved, got \(proved.name)")
            return
        }
        #expect(p.vacuityWitness != nil)
    }
}
