@testable import Prover
import SpecFiles
import Testing
import VFIORules

/// A proof's dependencies are enough for it: every shipped check that is proved or vacuous is
/// decided again under the clauses and assumptions its dependencies name and nothing else, and
/// must not become refuted or unknown. Dependencies are the union of the cases' unsat cores
/// (found through the integer relaxation, the case without neighbours or the case itself: each
/// a core of the case, see `PartProver.decide`), so this is what they promise. Negative control:
/// dropping one dependency of a proof whose clauses all matter breaks it.
/// Time limit: about 60 proofs with and without dependencies, about 20 s in a debug build.
@Suite(.timeLimit(.minutes(3))) struct DependencySufficiencyTests {
    private func decided(_ check: CheckRequest, dependencies: Bool) throws -> Verdict {
        var request = check
        request.findDependencies = dependencies
        return try request.run()
    }

    /// The check under only `names` of its clauses and assumptions.
    private func restricted(_ check: CheckRequest, to names: Set<String>) throws -> CheckRequest {
        var request = check
        request.policy = try check.policy.removing(check.policy.clauses.map(\.id).filter { !names.contains($0) })
        request.assumptions = check.assumptions.filter { names.contains($0.rawValue) }
        return request
    }

    @Test func everyShippedProofHoldsUnderItsDependenciesAlone() throws {
        let specs = try Spec.loadAll(["Specs", "Specs/kernels"])
        var compared = 0
        for spec in specs {
            for check in spec.checks where check.expect == .proved || check.expect == .vacuous {
                let request = check.request(timeoutMilliseconds: nil, seed: 0)
                let proof: Proof
                switch try decided(request, dependencies: true) {
                case let .proved(found), let .vacuous(found, _): proof = found
                case let other:
                    Issue.record("\(spec.name)/\(check.name): expected \(check.expect), got \(other.name)")
                    continue
                }
                let alone = try decided(try restricted(request, to: Set(proof.dependencies)), dependencies: false)
                switch alone {
                case .proved, .vacuous: compared += 1
                default:
                    Issue.record("\(spec.name)/\(check.name): under its dependencies \(proof.dependencies) alone: \(alone.name)")
                }
            }
        }
        #expect(compared >= 50, "only \(compared) shipped proofs compared")
    }

    /// `explain`'s list (`minimiseCore`) is part of the plain one, still enough for the proof, and
    /// for mainline `page-exclusive` every name of it is needed: without any one the check is
    /// refuted. For `mmap-within-bar` it is shorter than the plain union (whose cores name
    /// `subpage-start-aligned`, which the proof stands without).
    @Test(arguments: [Invariant.pageExclusive, .mmapWithinBAR])
    func explainsListIsIrredundant(_ invariant: Invariant) throws {
        var check = CheckRequest(policy: .mainline, platform: PlatformSpec(pageSizes: [.kib4]), invariant: invariant)
        guard case let .proved(plain) = try decided(check, dependencies: true) else {
            Issue.record("mainline \(invariant.rawValue) is not proved")
            return
        }
        check.minimiseCore = true
        guard case let .proved(minimal) = try decided(check, dependencies: true) else {
            Issue.record("mainline \(invariant.rawValue) is not proved with minimiseCore")
            return
        }
        #expect(Set(minimal.dependencies).isSubset(of: plain.dependencies))
        #expect(try decided(try restricted(check, to: Set(minimal.dependencies)), dependencies: false).name == "proved")
        switch invariant {
        case .pageExclusive:
            for name in minimal.dependencies {
                let without = try decided(try restricted(check, to: Set(minimal.dependencies).subtracting([name])), dependencies: false)
                #expect(without.name == "refuted", "without \(name): \(without.name)")
            }
        default:
            #expect(minimal.dependencies.count < plain.dependencies.count, "\(minimal.dependencies) against \(plain.dependencies)")
            #expect(!minimal.dependencies.contains("mainline.subpage-start-aligned"))
        }
    }

    /// The negative control: `page-exclusive` under mainline depends on the sub-page reservation,
    /// and without it (its other dependencies kept) the invariant is refuted.
    @Test func droppingADependencyBreaksTheProof() throws {
        let check = CheckRequest(policy: .mainline, platform: PlatformSpec(pageSizes: [.kib4]), invariant: .pageExclusive)
        guard case let .proved(proof) = try decided(check, dependencies: true) else {
            Issue.record("mainline page-exclusive is not proved")
            return
        }
        let reservation = try #require(proof.dependencies.first { $0.hasSuffix(".subpage-reservation") })
        let without = try decided(try restricted(check, to: Set(proof.dependencies).subtracting([reservation])), dependencies: false)
        #expect(without.name == "refuted", "without \(reservation): \(without.name)")
    }
}
