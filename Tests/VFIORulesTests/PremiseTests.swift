import PropertyBased
import Testing
import VFIORules

/// The prover settles a check as vacuous from the premise alone, without solving the violation,
/// and refutes a case's relaxation in place of the case. Both are sound only if, on every machine,
/// each case of the violation implies the same case of the premise, and each case implies its
/// relaxation (the relaxations under the model facts, which every query asserts). This checks the
/// implications concretely on the differential test's random machines (tame and wild, symbolic
/// page size, up to two neighbours).
@Suite(.timeLimit(.minutes(1))) struct PremiseTests {
    @Test(arguments: Invariant.allCases)
    func violationImpliesPremiseCaseByCase(_ invariant: Invariant) async {
        let c = Concrete()
        var violations = 0, relaxed = 0
        await propertyCheck(count: 4_000, input: SituationGen.assignment) { assignment in
            for neighbours in 1...SituationGen.maxNeighbours {
                let s = Situation<Concrete>.concrete(assignment, neighbours: neighbours, pageShift: nil)
                let violation = invariant.violationCases(s, c), premise = invariant.premiseCases(s, c)
                #expect(violation.count == premise.count)
                for (index, (v, p)) in zip(violation, premise).enumerated() {
                    if v.exact { violations += 1 }
                    #expect(!v.exact || p.exact, "case \(index) of \(invariant.rawValue) holds without its premise")
                    guard s.wellFormed(c) else { continue }
                    if v.exact && v.relaxation != nil { relaxed += 1 }
                    #expect(!v.exact || v.relaxation ?? true, "case \(index) of \(invariant.rawValue) holds without its relaxation")
                    #expect(!p.exact || p.relaxation ?? true, "premise case \(index) holds without its relaxation")
                }
            }
        }
        // The property must not hold only because no case ever held.
        #expect(violations > 0, "no random machine violated \(invariant.rawValue)")
        // Random well-formed machines rarely reach a relaxed case (0-2 in 4,000): these do, by
        // construction, so the relaxation is always exercised where it matters.
        if invariant == .msixNeedsFiltering {
            for machine in Self.neighbourTableMachines() {
                let s = Situation<Concrete>.concrete(machine, neighbours: 1, pageShift: nil)
                let cases = invariant.violationCases(s, c)
                #expect(s.wellFormed(c))
                #expect(cases[1].exact, "the constructed machine does not reach the neighbour's table")
                #expect(!cases[1].exact || cases[1].relaxation ?? true)
                #expect(!cases[1].exact || invariant.premiseCases(s, c)[1].exact)
                relaxed += 1
            }
            #expect(relaxed > 0)
        }
    }

    /// The prover decides a case that is not about a neighbour first on the model without
    /// neighbours (`PartProver.Query.lean`): sound only if, on every machine, each model fact,
    /// platform fact, clause and assumption with neighbours implies the same without them, and each
    /// such case reads the same either way.
    @Test(arguments: Invariant.allCases)
    func withoutNeighboursIsARelaxation(_ invariant: Invariant) async {
        let c = Concrete()
        let policies = Policy.all + [try! Policy.mainline.removing(["subpage-reservation"])]
        var held = 0
        await propertyCheck(count: 3_000, input: SituationGen.assignment) { assignment in
            let lean = Situation<Concrete>.concrete(assignment, neighbours: 0, pageShift: nil)
            for neighbours in 1...SituationGen.maxNeighbours {
                let s = Situation<Concrete>.concrete(assignment, neighbours: neighbours, pageShift: nil)
                #expect(!s.wellFormed(c) || lean.wellFormed(c))
                for policy in policies {
                    for clause in policy.clauses {
                        #expect(!clause.rule.holds(s, c) || clause.rule.holds(lean, c), "\(clause.id) holds only with neighbours")
                    }
                }
                for assumption in Assumption.allCases {
                    #expect(!assumption.holds(s, c) || assumption.holds(lean, c), "\(assumption.rawValue) holds only with neighbours")
                }
                let count = invariant.firstNeighbourCase ?? Int.max
                for (full, without) in [(invariant.violationCases(s, c), invariant.violationCases(lean, c)),
                                        (invariant.premiseCases(s, c), invariant.premiseCases(lean, c))] {
                    for index in 0..<min(count, full.count) {
                        #expect(index < without.count && full[index].exact == without[index].exact,
                                "case \(index) of \(invariant.rawValue) reads differently without neighbours")
                        if full[index].exact { held += 1 }
                    }
                }
            }
        }
        if invariant != .pageExclusive { #expect(held > 0, "no machine met a case of \(invariant.rawValue) without a neighbour") }
    }

    /// Well-formed machines whose mapping reaches the MSI-X table in another BAR of the same
    /// device: a 4 KiB BAR at 64 KiB, the request covering it and the next page, where that BAR
    /// (index 2, the table BIR) sits; the table at several offsets and sizes.
    static func neighbourTableMachines() -> [Assignment] {
        var machines: [Assignment] = []
        for (offset, entries) in [(0, 1), (0x100, 16), (0x7f0, 1), (0, 256)] as [(UInt64, UInt64)] {
            var a = Assignment()
            a.words["platform.page-size"] = 0x1000
            a.truths["platform.backend-type1"] = true
            a.words["bar.index"] = 0
            a.words["bar.start"] = 0x10000
            a.words["bar.size"] = 0x1000
            a.truths["bar.memory"] = true
            a.truths["bar.claimed"] = true
            a.words["parent.start"] = 0
            a.words["parent.size"] = 0x100000
            a.words["other0.index"] = 2
            a.words["other0.start"] = 0x11000
            a.words["other0.size"] = 0x1000
            a.truths["other0.memory"] = true
            a.truths["other0.claimed"] = true
            a.truths["other0.in-parent"] = true
            a.truths["other0.same-device"] = true
            a.words["mmap.offset"] = 0
            a.words["mmap.length"] = 0x2000
            a.truths["msix.present"] = true
            a.words["msix.table-bir"] = 2
            a.words["msix.table-offset"] = offset
            a.words["msix.table-size"] = entries * 16
            a.words["msix.pba-bir"] = 2
            a.words["msix.pba-offset"] = 0x800
            a.words["msix.pba-size"] = (entries + 63) / 64 * 8
            machines.append(a)
        }
        return machines
    }
}

/// An assignment built by hand names only variables the situation layout reads.
@Suite(.timeLimit(.minutes(1))) struct SituationVocabularyTests {
    @Test func unknownVariableNameThrows() {
        var a = Assignment()
        a.words["bar.size"] = 4096
        a.truths["other0.same-devices"] = true  // misspelt: other0.same-device
        #expect(throws: UnknownVariable(names: ["other0.same-devices"])) {
            _ = try Situation<Concrete>.checked(a, neighbours: 1, pageShift: 12)
        }
        a.truths["other0.same-devices"] = nil
        a.truths["other0.same-device"] = true
        #expect(throws: Never.self) { _ = try Situation<Concrete>.checked(a, neighbours: 1, pageShift: 12) }
    }

    @Test func layoutNamesEveryHostFactAndEachNeighbour() {
        let names = SituationLayout.variables(neighbours: 2, pageShift: nil)
        for fact in HostFact.allCases { #expect(names.truths.contains(fact.variable)) }
        #expect(names.words.contains("platform.page-size"))
        #expect(names.words.contains("other1.start") && !names.words.contains("other2.start"))
    }
}
