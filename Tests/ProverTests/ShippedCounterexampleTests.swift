import PCIModel
@testable import Prover
import SpecFiles
import Testing
import VFIORules

/// Every counterexample `prove` and `explain` print for the shipped specs stands on a machine
/// PCI allows: each refuted check of `Specs/` and `Specs/kernels/` is decided as `prove` decides
/// it, and its machine checked with `Concrete` against the well-formed-PCI facts (BAR sizes, the
/// MSI-X table and PBA inside their BARs) and every clause and the violation again, on the
/// plainer form (`PlainerCounterexample`) that is printed.
/// Time limit: the refuted shipped checks without dependencies, about 10 s in a debug build.
@Suite(.timeLimit(.minutes(3))) struct ShippedCounterexampleTests {
    @Test func everyShippedCounterexampleIsWellFormedPCI() throws {
        let specs = try Spec.loadAll(["Specs", "Specs/kernels"])
        var refuted = 0
        for spec in specs {
            for check in spec.checks where check.expect == .refuted {
                let verdict = try check.request(timeoutMilliseconds: nil, seed: 0).run()
                guard case .refuted(let example) = verdict else {
                    Issue.record("\(spec.name)/\(check.name): expected refuted, got \(verdict.name)")
                    continue
                }
                refuted += 1
                let c = Concrete(), s = example.situation
                #expect(Assumption.wellFormedPCI.holds(s, c), "\(spec.name)/\(check.name): not well-formed PCI")
                #expect(s.wellFormed(c), "\(spec.name)/\(check.name): breaks a model fact")
                #expect(check.invariant.violated(s, c), "\(spec.name)/\(check.name): the violation does not hold")
                for clause in check.policy.clauses {
                    #expect(clause.rule.holds(s, c), "\(spec.name)/\(check.name): \(clause.id) does not grant the mmap")
                }
            }
        }
        #expect(refuted >= 30, "only \(refuted) refuted shipped checks")
    }

    /// The translation keeps every address's remainder modulo the alignment (so natural
    /// alignment and page offsets hold as before) and only ever moves a machine down.
    @Test func translationKeepsRemaindersAndOnlyLowers() {
        let resources = [SituationLayout.barNames, SituationLayout.neighbourNames(0)]
        var a = Assignment(words: ["bar.start": 0xbd98_cfff_f1f9_f000, "bar.size": 0x200,
                                   "other0.start": 0xbd98_cfff_f1f9_f800, "other0.size": 0x800,
                                   "parent.start": 0xbd98_cfff_f1f0_0000, "parent.size": 0x10_0000])
        #expect(PlainerCounterexample.translate(&a, resources: resources, pageShift: 12, to: 0x8000_0000))
        #expect(a.word("parent.start") == 0x8000_0000)
        #expect(a.word("bar.start") == 0x8009_f000)
        #expect(a.word("other0.start") == 0x8009_f800)
        var low = Assignment(words: ["bar.start": 0x1000, "bar.size": 0x1000, "other0.start": 0x2000, "other0.size": 0x1000,
                                     "parent.start": 0, "parent.size": 0x10_0000])
        #expect(!PlainerCounterexample.translate(&low, resources: resources, pageShift: 12, to: 0x8000_0000))
        #expect(low.word("bar.start") == 0x1000)
        var high = Assignment(words: ["bar.start": 0, "bar.size": 1 << 63, "other0.start": 0, "other0.size": 0x1000,
                                      "parent.start": 0, "parent.size": 0x1000])
        #expect(!PlainerCounterexample.translate(&high, resources: resources, pageShift: 12, to: 0x8000_0000))
    }

    /// Sizes shrink to the smallest power of two that still reproduces: a solver's model with
    /// a 2^62-byte neighbour outside the window reads as a 16-byte one.
    @Test func sizesShrinkWhileTheMachineReproduces() throws {
        let policy = try Policy.mainline.removing(["subpage-reservation"])
        let platform = PlatformSpec(pageSizes: [.kib4])
        let prover = try PairProver(platform: platform)
        prover.concreteSearch = false
        guard case .refuted(let example) = try prover.check(.pageExclusive, policy: policy, dependencies: false) else {
            Issue.record("not refuted")
            return
        }
        let s = example.situation
        // The BAR is sub-page; the neighbour shares its page: neither needs to be larger than half a page.
        #expect(s.bar.resource.size <= 0x800)
        #expect(s.neighbours[0].bar.resource.size <= 0x800)
        var bigger = example.assignment
        bigger.words["other0.size"] = 1 << 62
        var big = example
        big.assignment = bigger
        let plain = PlainerCounterexample.plainer(big) { candidate in
            ViolationSearch.holds(candidate, .pageExclusive, policy, Assumption.defaults, platform, 1, 12)
        }
        #expect(plain.assignment.word("other0.size") <= example.assignment.word("other0.size"))
    }
}
