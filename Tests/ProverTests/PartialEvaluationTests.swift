import PCIModel
@testable import Prover
import Testing
import VFIORules

/// `PartialEvaluation` settles checks without the solver (`TrivialCases`), so a known result must
/// never be wrong: on random machines with random variables hidden, every formula of the model
/// (model facts, every rule, assumption, violation and premise) is either unknown or what
/// `Concrete` says on the whole machine. A deliberately unsound variant (an `or` that calls
/// "unknown or false" false) fails the same comparison.
@Suite(.timeLimit(.minutes(1))) struct PartialEvaluationTests {
    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        /// Words of the kinds the rules compare: 0, small powers of two and their neighbours,
        /// page multiples, addresses near 4 GiB and 2^64, anything.
        mutating func word() -> UInt64 {
            switch next() % 6 {
            case 0: return 0
            case 1: return 1 << (next() % 40)
            case 2: return (1 << (next() % 40)) &- 1
            case 3: return (next() % 64) << 12
            case 4: return (1 << 32) &+ (next() % 16) << 10
            default: return next() &* 2654435761
            }
        }
    }

    static func formulas<L: Logic>(_ s: Situation<L>, _ l: L) -> [L.Truth] {
        [s.wellFormed(l)] + Rule.allCases.map { $0.holds(s, l) } + Assumption.allCases.map { $0.holds(s, l) }
            + Invariant.allCases.flatMap { [$0.violated(s, l), $0.premise(s, l)] }
    }

    /// How many formulas came out known with variables hidden, and every disagreement with `Concrete`.
    static func compare<L: Logic>(_ logic: L, seed: UInt64, pageShift: Int?) -> (known: Int, wrong: [String])
    where L.Word == UInt64?, L.Truth == Bool? {
        var stream = Stream(state: seed)
        let names = SituationLayout.variables(neighbours: 2, pageShift: pageShift)
        var known = 0
        var wrong: [String] = []
        for round in 0..<400 {
            var machine = Assignment()
            for name in names.words { machine.words[name] = stream.word() }
            for name in names.truths { machine.truths[name] = stream.next() & 1 == 1 }
            if pageShift == nil { machine.words[SituationLayout.Name.pageSize] = 1 << (12 + stream.next() % 5) }
            let exact = formulas(Situation<Concrete>.concrete(machine, neighbours: 2, pageShift: pageShift), Concrete())
            // Each variable hidden with probability 1/4 (round 0 hides none, round 1 all).
            let hidden = Set((names.words.union(names.truths)).filter { _ in round == 1 || round > 1 && stream.next() % 4 == 0 })
            let partial = formulas(SituationLayout.make(logic, neighbours: 2, pageShift: pageShift,
                                                        word: { hidden.contains($0) ? nil : machine.word($0) },
                                                        truth: { hidden.contains($0) ? nil : machine.truth($0) }), logic)
            for (index, (value, guess)) in zip(exact, partial).enumerated() {
                guard let guess else { continue }
                known += 1
                if guess != value { wrong.append("round \(round), formula \(index): \(guess) where it is \(value)") }
            }
        }
        return (known, wrong)
    }

    @Test(arguments: [12, 16, nil] as [Int?])
    func knownResultsAreExact(pageShift: Int?) {
        let (known, wrong) = Self.compare(PartialEvaluation(), seed: UInt64(pageShift ?? 1), pageShift: pageShift)
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        // Not vacuous: with a quarter of the variables hidden, many formulas are still decided.
        #expect(known > 4000)
    }

    /// Negative control: an `or` that is false when no term is true is caught.
    @Test func anUnsoundVariantIsCaught() {
        let (_, wrong) = Self.compare(UnsoundOr(), seed: 3, pageShift: 12)
        #expect(!wrong.isEmpty)
    }

    /// A check whose platform decides it: 6.3+ type1 needs isolated MSIs to attach, the violation
    /// needs them not isolated. A check the platform does not decide is not settled.
    @Test func settlesOnlyWhatThePlatformDecides() throws {
        let platform = PlatformSpec(pageSizes: [.kib4], allowUnsafeInterrupts: false, backends: [.type1, .iommufd])
        #expect(TrivialCases.impossible(platform, neighbours: 1, policy: .mainline, assumptions: Assumption.defaults) {
            s, l in Invariant.msixNeedsFiltering.violated(s, l)
        })
        #expect(!TrivialCases.impossible(PlatformSpec(pageSizes: [.kib4]), neighbours: 1, policy: .mainline,
                                         assumptions: Assumption.defaults) { s, l in Invariant.msixNeedsFiltering.violated(s, l) })
        #expect(!TrivialCases.impossible(PlatformSpec(pageSizes: [.kib4]), neighbours: 1, policy: .mainline,
                                         assumptions: Assumption.defaults) { s, l in Invariant.pageExclusive.violated(s, l) })
    }
}

/// ``PartialEvaluation`` with one unsound rule: `or` of unknowns and falses is false.
private struct UnsoundOr: Logic {
    let p = PartialEvaluation()
    func word(_ value: UInt64) -> UInt64? { p.word(value) }
    func truth(_ value: Bool) -> Bool? { p.truth(value) }
    func add(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.add(a, b) }
    func sub(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.sub(a, b) }
    func bitAnd(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.bitAnd(a, b) }
    func bitOr(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.bitOr(a, b) }
    func bitNot(_ a: UInt64?) -> UInt64? { p.bitNot(a) }
    func shiftLeft(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.shiftLeft(a, b) }
    func shiftRight(_ a: UInt64?, _ b: UInt64?) -> UInt64? { p.shiftRight(a, b) }
    func equal(_ a: UInt64?, _ b: UInt64?) -> Bool? { p.equal(a, b) }
    func less(_ a: UInt64?, _ b: UInt64?) -> Bool? { p.less(a, b) }
    func lessOrEqual(_ a: UInt64?, _ b: UInt64?) -> Bool? { p.lessOrEqual(a, b) }
    func and(_ terms: [Bool?]) -> Bool? { p.and(terms) }
    func or(_ terms: [Bool?]) -> Bool? { terms.contains(true) }
    func not(_ a: Bool?) -> Bool? { p.not(a) }
    func implies(_ a: Bool?, _ b: Bool?) -> Bool? { p.implies(a, b) }
    func ite(_ condition: Bool?, _ then: UInt64?, _ otherwise: UInt64?) -> UInt64? { p.ite(condition, then, otherwise) }
    func addsWithoutOverflow(_ a: UInt64?, _ b: UInt64?) -> Bool? { p.addsWithoutOverflow(a, b) }
    func lowBitsZero(_ a: UInt64?, bits: Int) -> Bool? { p.lowBitsZero(a, bits: bits) }
}
