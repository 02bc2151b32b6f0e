@testable import Prover
import PCIModel
import Testing
import VFIORules
import Z3Kit

/// `IntegerRelaxation` must be a relaxation of the rules: on every machine, with each fresh
/// integer (an operation it does not express linearly) set to that operation's value, every
/// formula and word takes the value `Concrete` gives. So on random machines, all of the
/// prover's formulas and words (`PartEncodingTests.formulas`) can take their concrete values at
/// once: the conjunction is satisfiable. A negative control moves one word that is exact (the
/// first exposed byte) off its value and expects unsatisfiable.
@Suite(.timeLimit(.minutes(1))) struct IntegerRelaxationTests {
    @Test(arguments: [PageSize.kib4, .kib64])
    func formulasCanTakeTheirConcreteValues(page: PageSize) throws {
        let shift = page.shift
        let context = Context()
        let integers = try IntegerRelaxation(context)
        let solver = try Solver(context, logic: "QF_LIA")
        var words: [(String, IntegerTerm)] = []
        var truths: [(String, BoolTerm)] = []
        let situation = SituationLayout.make(
            integers, neighbours: 1, pageShift: shift,
            word: { name in
                let term = integers.variable("integer." + name)
                words.append((name, term))
                return term
            },
            truth: { name in
                let term = integers.flag(name)
                truths.append((name, term))
                return term
            })
        let relaxed = PartEncodingTests.formulas(situation, integers, page: page)
        try integers.throwIfFailed()
        var stream = PartEncodingTests.Stream(state: 0xB0B + UInt64(shift))
        let pageBytes = UInt64(1) << UInt64(shift)
        var held = 0
        for _ in 0..<120 {
            var machine = Assignment()
            for (name, _) in words { machine.words[name] = stream.word(page: pageBytes) }
            for (name, _) in truths { machine.truths[name] = stream.next() & 1 == 1 }
            let concrete = PartEncodingTests.formulas(Situation<Concrete>.concrete(machine, neighbours: 1, pageShift: shift),
                                                      Concrete(), page: page)
            held += concrete.truths.filter { $0 }.count
            func check(movingFirstWord: Bool) throws -> CheckResult {
                try solver.withScope {
                    for condition in integers.sideConditions { try solver.assert(condition) }
                    for (name, term) in words { try solver.assert(term == context.integer(machine.word(name))) }
                    for (name, term) in truths { try solver.assert(machine.truth(name) ? term : !term) }
                    for (index, term) in relaxed.truths.enumerated() { try solver.assert(concrete.truths[index] ? term : !term) }
                    for (index, term) in relaxed.words.enumerated() {
                        let value = index == 0 && movingFirstWord ? concrete.words[index] &+ 1 : concrete.words[index]
                        try solver.assert(term == context.integer(value))
                    }
                    return try solver.check()
                }
            }
            guard case .sat = try check(movingFirstWord: false) else {
                Issue.record("\(page): the relaxation cannot take the concrete values on \(machine)")
                return
            }
            guard case .unsat = try check(movingFirstWord: true) else {
                Issue.record("\(page): negative control: the first exposed byte took a wrong value on \(machine)")
                return
            }
        }
        #expect(held > 0)
    }
}
