@testable import Prover
import PCIModel
import Testing
import VFIORules
import Z3Kit

/// The pair model's argument (docs/design.md) needs every clause of the catalogue to grant less
/// when resources are added: a clause that holds on a situation must still hold with one of its
/// neighbours removed. Proved here for each clause with Z3, over every page size and platform:
/// `wellFormed(s) ∧ clause(s) ∧ ¬clause(s without its last neighbour)` is unsatisfiable. A clause
/// built to grant more with a neighbour present is the negative control: the same query finds it.
///
/// Time limit: one small bit-vector query per clause, well under a second each; 2 minutes.
@Suite(.timeLimit(.minutes(2))) struct MonotonicityTests {
    /// Whether `holds` can hold with two neighbours and fail once the second is gone; nil when
    /// Z3 gave no answer.
    static func grantsMoreWithANeighbour(_ holds: (Situation<Symbolic>, Symbolic) -> BoolTerm) throws -> Bool? {
        let context = Context()
        let logic = try Symbolic(context)
        let full = SituationLayout.make(logic, neighbours: 2, pageShift: nil, word: logic.variable, truth: logic.flag)
        var fewer = full
        fewer.neighbours.removeLast()
        let solver = try Solver(context)
        try solver.assert(full.wellFormed(logic))
        try solver.assert(holds(full, logic))
        try solver.assert(logic.not(holds(fewer, logic)))
        try logic.throwIfFailed()
        switch try solver.check() {
        case .sat: return true
        case .unsat: return false
        default: return nil
        }
    }

    @Test(arguments: Rule.allCases)
    func clauseGrantsLessWithMoreResources(rule: Rule) throws {
        let answer = try Self.grantsMoreWithANeighbour { s, l in rule.holds(s, l) }
        #expect(answer == false, "\(rule.rawValue): \(answer.map { $0 ? "holds with a neighbour, fails without it" : "monotone" } ?? "no answer")")
    }

    /// A clause that grants only when some other resource shares the parent window: not monotone,
    /// and the query says so.
    @Test func nonMonotoneClauseIsCaught() throws {
        let answer = try Self.grantsMoreWithANeighbour { s, l in l.or(s.neighbours.map(\.inParent)) }
        #expect(answer == true)
    }
}
