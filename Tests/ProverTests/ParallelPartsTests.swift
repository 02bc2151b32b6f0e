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
}
