@testable import Prover
import PCIModel
import Testing
import VFIORules

/// `PairProver` decides the parts of a check on two threads when a processor is idle and in turn
/// otherwise; the verdict, the counterexample and the dependencies must not depend on which.
@Suite(.timeLimit(.minutes(1))) struct ParallelPartsTests {
    static let rows: [(String, Policy, Invariant, PlatformSpec)] = [
        ("mainline without the reservation, 64 KiB", try! Policy.mainline.removing(["subpage-reservation"]), .pageExclusive,
         PlatformSpec(pageSizes: [.kib64])),
        ("mainline, unaligned fixed allowed, 4 KiB", .mainline, .pageExclusive,
         PlatformSpec(pageSizes: [.kib4], unalignedFixedResources: true)),
        ("mainline, unsafe interrupts, 4 KiB", .mainline, .msixNeedsFiltering,
         PlatformSpec(pageSizes: [.kib4], msiIsolated: false, allowUnsafeInterrupts: true)),
        ("legacy without the table exclusion, 64 KiB", try! Policy.legacy.removing(["msix-table-excluded"]),
         .msixNeedsFiltering, PlatformSpec(pageSizes: [.kib64], msiIsolated: false)),
        ("mainline, 64 KiB", .mainline, .pageExclusive, PlatformSpec(pageSizes: [.kib64])),
        ("legacy, 4 KiB (vacuous)", .legacy, .msixNeedsFiltering, PlatformSpec(pageSizes: [.kib4])),
    ]

    @Test(arguments: rows.indices)
    func sameVerdictInParallelAndInTurn(_ row: Int) throws {
        let (label, policy, invariant, platform) = Self.rows[row]
        func run(parallel: Bool) throws -> Verdict {
            let prover = try PairProver(platform: platform)
            prover.parallel = parallel
            // The solver's answers are what could depend on the threads; a concrete refutation does not.
            prover.concreteSearch = false
            // Threads need a context per part.
            prover.oneContext = false
            return try prover.check(invariant, policy: policy, dependencies: true)
        }
        let inTurn = try run(parallel: false), inParallel = try run(parallel: true)
        #expect(inTurn == inParallel, "\(label): \(inTurn.name) in turn, \(inParallel.name) in parallel")
    }

    /// A rest part found empty by an earlier check is not solved again (verdicts only): the
    /// verdicts are the same as with every emptiness solved afresh, in either order.
    @Test(arguments: rows.indices)
    func sharedEmptinessGivesTheSameVerdicts(_ row: Int) throws {
        let (label, policy, invariant, platform) = Self.rows[row]
        func run(sharing: Bool) throws -> Verdict {
            let prover = try PairProver(platform: platform)
            prover.sharesEmptiness = sharing
            return try prover.check(invariant, policy: policy, dependencies: false)
        }
        let fresh = try run(sharing: false), first = try run(sharing: true), second = try run(sharing: true)
        #expect(fresh == first && first == second, "\(label): \(fresh.name), \(first.name), \(second.name)")
    }

    /// Across policies: an emptiness recorded by its core (the second policy on a platform on)
    /// serves checks of other policies; every verdict equals the one solved afresh.
    @Test func emptinessSharedAcrossPoliciesGivesTheSameVerdicts() throws {
        PairProver.forgetSharedResults()
        let releases = KernelRelease.all.map(\.policy)
        for policy in [Policy.mainline, .legacy, .rfcV4] + releases {
            for invariant in [Invariant.mmapWithinBAR, .pageExclusive] {
                let platform = PlatformSpec(pageSizes: [.kib4], hostFacts: [.probeOnly: false])
                func run(sharing: Bool) throws -> Verdict {
                    let prover = try PairProver(platform: platform)
                    prover.sharesEmptiness = sharing
                    return try prover.check(invariant, policy: policy, dependencies: false)
                }
                let shared = try run(sharing: true), fresh = try run(sharing: false)
                #expect(shared == fresh, "\(policy.label) \(invariant.rawValue): \(shared.name) shared, \(fresh.name) fresh")
            }
        }
    }

    /// What lets a narrower platform reuse an emptiness: on every platform assignment, a platform
    /// that narrows another constrains it at least as much. The converse fails for some pair.
    @Test func aNarrowerPlatformConstrainsAtLeastAsMuch() {
        var platforms: [PlatformSpec] = []
        for isolated in [nil, true, false] as [Bool?] {
            for unsafe in [nil, false] as [Bool?] {
                for backends in [Backend.allCases, [.type1, .iommufd]] {
                    for probeOnly in [nil, false] as [Bool?] {
                        platforms.append(PlatformSpec(pageSizes: [.kib4], msiIsolated: isolated, allowUnsafeInterrupts: unsafe,
                                                      backends: backends, hostFacts: probeOnly.map { [.probeOnly: $0] } ?? [:]))
                    }
                }
            }
        }
        var narrower = 0, notImplied = 0
        let c = Concrete()
        for p in platforms {
            for q in platforms where p != q {
                // Every platform assignment that matters here: each truth both ways, each backend alone.
                var implied = true
                // Only `probe-only` among the host facts is fixed by any of these platforms.
                for bits in 0..<16 {
                    for backend in Backend.allCases {
                        var a = Assignment()
                        a.words[SituationLayout.Name.pageSize] = 4096
                        a.truths[SituationLayout.Name.msiIsolated] = bits & 1 != 0
                        a.truths[SituationLayout.Name.allowUnsafeInterrupts] = bits & 2 != 0
                        a.truths[SituationLayout.Name.unalignedFixed] = bits & 4 != 0
                        a.truths[HostFact.probeOnly.variable] = bits & 8 != 0
                        for other in Backend.allCases { a.truths["platform.backend-\(other.rawValue)"] = other == backend }
                        let terms = SituationLayout.platform(c, pageShift: 12, word: a.word, truth: a.truth)
                        if p.constrains(terms, c) && !q.constrains(terms, c) { implied = false }
                    }
                }
                if p.narrows(q) {
                    narrower += 1
                    #expect(implied, "\(p.label) narrows \(q.label) but allows a platform it does not")
                } else if !implied {
                    notImplied += 1
                }
            }
        }
        #expect(narrower > 20 && notImplied > 20)
    }

    /// Verdicts alone decide every part in one context; the verdicts equal those with a context
    /// per part, and a refutation the solver finds is reported as the per-part prover finds it.
    @Test(arguments: rows.indices)
    func oneContextGivesTheSameVerdicts(_ row: Int) throws {
        let (label, policy, invariant, platform) = Self.rows[row]
        func run(oneContext: Bool) throws -> Verdict {
            let prover = try PairProver(platform: platform)
            prover.oneContext = oneContext ? nil : false
            prover.concreteSearch = false
            prover.sharesEmptiness = false
            return try prover.check(invariant, policy: policy, dependencies: false)
        }
        let one = try run(oneContext: true), perPart = try run(oneContext: false)
        #expect(one == perPart, "\(label): \(one.name) in one context, \(perPart.name) in one per part")
    }
}
