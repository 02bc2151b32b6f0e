import PropertyBased
import Testing
import VFIORules

/// The prover settles a check as vacuous from the premise alone, without solving the violation,
/// and refutes a case's relaxation in place of the case. Both are sound only if, on every machine,
/// each case of the violation implies the same case of the premise, and each case implies its
/// relaxation (the relaxations under the model facts, which every query asserts). This checks the
/// implications concretely on the differential test's random machines (tame and wild, symbolic
/// page size, up to two neighbours).
@Suite struct PremiseTests {
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
        if invariant == .msixNeedsFiltering { #expect(relaxed > 0, "no well-formed machine reached a relaxed case") }
    }
}
