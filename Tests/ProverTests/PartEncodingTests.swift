@testable import Prover
import PCIModel
import Testing
import VFIORules
import Z3Kit

// The prover decides each check over parts of the model whose terms are not plain variables
// (`PartProver`, `PairProver.word(_:_:pageShift:shape:)`): start addresses relative to the
// mapped BAR's page, fields the model facts bound as narrower variables
// (`PairProver.boundedField`), and, in the aligned parts, a start that is its page base and a
// size made of pages or of an in-page count. `Symbolic` folds page rounding on those terms and compares sums
// through their carries. The differential test in VFIORulesTests covers plain variables; this
// one covers the part terms: on random machines of each part's shape, Z3's value of every
// clause, assumption, invariant case and model fact built over the part's terms equals the
// `Concrete` value on the same machine.
@Suite(.timeLimit(.minutes(1))) struct PartEncodingTests {
    /// SplitMix64: a fixed, seedable stream of words.
    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A word drawn to reach the edges: small, near 2^64, page-granular, or anything.
        mutating func word(page: UInt64) -> UInt64 {
            let x = next()
            switch next() % 6 {
            case 0: return x % 64
            case 1: return UInt64.max - x % 64
            case 2: return x & ~(page - 1)
            case 3: return (x % 8) * page + next() % 3
            case 4: return 1 << (x % 64)
            default: return x
            }
        }
    }

    /// Every truth and word the prover's queries are made of, over `s`.
    static func formulas<L: Logic>(_ s: Situation<L>, _ l: L, page: PageSize) -> (truths: [L.Truth], words: [L.Word]) {
        var truths: [L.Truth] = [s.wellFormed(l), PlatformSpec(pageSizes: [page]).constrains(s.platform, l), s.isSubpage(l)]
        let policies = Policy.all + [try! Policy.mainline.removing(["subpage-reservation"])]
        for policy in policies { truths += policy.clauses.map { $0.rule.holds(s, l) } }
        truths += Assumption.allCases.map { $0.holds(s, l) }
        for invariant in Invariant.allCases {
            for c in invariant.violationCases(s, l) + invariant.premiseCases(s, l) {
                truths.append(c.exact)
                if let relaxation = c.relaxation { truths.append(relaxation) }
            }
        }
        truths += [s.requestOverlapsTable(l), l.naturallyAligned(s.bar.resource), l.isPageAligned(s.bar.resource.start, s.platform)]
        let exposed = s.exposed(l), reservation = s.subpageReservation(l)
        let words = [exposed.first, exposed.last, reservation.first, reservation.last,
                     l.pageDown(s.bar.resource.start, s.platform), l.pageUp(s.bar.resource.size, s.platform),
                     l.pageDown(l.span(s.bar.resource).last, s.platform)]
        return (truths, words)
    }

    @Test(arguments: [PageSize.kib4, .kib64])
    func partTermsEqualConcrete(page: PageSize) throws {
        let shift = page.shift
        let pageBytes = UInt64(1) << UInt64(shift)
        var stream = Stream(state: UInt64(shift))
        for shape in PairProver.Shape.allCases {
            let context = Context()
            let logic = try Symbolic(context)
            let solver = try Solver(context, tactics: ["simplify", "solve-eqs", "bit-blast", "sat"])
            var words: [(String, BitVector)] = []
            var truths: [(String, BoolTerm)] = []
            let situation = SituationLayout.make(
                logic, neighbours: 1, pageShift: shift,
                word: { name in
                    let term = PairProver.word(name, logic, pageShift: shift, shape: shape)
                    words.append((name, term))
                    return term
                },
                truth: { name in
                    let term = logic.flag(name)
                    truths.append((name, term))
                    return term
                })
            let symbolic = Self.formulas(situation, logic, page: page)
            try logic.throwIfFailed()
            for _ in 0..<150 {
                var machine = Assignment()
                for (name, _) in words {
                    var value = stream.word(page: pageBytes)
                    // A field the model facts bound is a variable spanning that ground only.
                    if let field = PairProver.boundedField(name, pageShift: shift) {
                        value &= (UInt64(1) << UInt64(field.bits)) - 1
                        value &= ~((UInt64(1) << UInt64(field.zeroBits)) - 1)
                    }
                    machine.words[name] = value
                }
                for (name, _) in truths { machine.truths[name] = stream.next() & 1 == 1 }
                switch shape {
                case .general: break
                case .alignedWholePages:
                    machine.words["bar.start"] = machine.word("bar.start") & ~(pageBytes - 1)
                    machine.words["bar.size"] = machine.word("bar.size") & ~(pageBytes - 1)
                case .alignedSubpage:
                    machine.words["bar.start"] = machine.word("bar.start") & ~(pageBytes - 1)
                    machine.words["bar.size"] = machine.word("bar.size") % pageBytes
                }
                let concrete = Self.formulas(Situation<Concrete>.concrete(machine, neighbours: 1, pageShift: shift), Concrete(),
                                             page: page)
                try solver.withScope {
                    for (name, term) in words { try solver.assert(term == context.bitVector(machine.word(name), width: 64)) }
                    for (name, term) in truths { try solver.assert(machine.truth(name) ? term : !term) }
                    guard case let .sat(model) = try solver.check() else {
                        Issue.record("\(shape): no model for a machine of the part's shape")
                        return
                    }
                    for (index, term) in symbolic.truths.enumerated() where try model.value(term) != concrete.truths[index] {
                        Issue.record("\(shape), \(page): truth \(index) differs on \(machine)")
                    }
                    for (index, term) in symbolic.words.enumerated() where try model.value(term) != concrete.words[index] {
                        Issue.record("\(shape), \(page): word \(index) differs on \(machine)")
                    }
                }
            }
        }
    }
}
