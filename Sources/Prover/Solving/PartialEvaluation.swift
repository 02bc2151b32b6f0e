import VFIORules

/// ``Logic`` over values that may be unknown (`nil`): Kleene's three-valued logic, with words
/// known or not. A result is known only when it is the same for every value the unknown inputs
/// could take: `and` is false as soon as one term is false, `or` true as soon as one is true,
/// `x & 0` is 0, `x < 0` false, and so on; anything else that reads an unknown is unknown.
///
/// So a formula that comes out `false` with some variables unknown is false on every machine
/// that agrees with the known ones: that is what lets ``TrivialCases`` settle a check the
/// platform alone decides (an attach check that needs isolated MSIs against a violation that
/// needs them not isolated) without a Z3 context. Checked by `PartialEvaluationTests`: on
/// random machines with random variables hidden, every known result equals ``Concrete``'s.
struct PartialEvaluation: Logic {
    typealias Word = UInt64?
    typealias Truth = Bool?

    func word(_ value: UInt64) -> UInt64? { value }
    func truth(_ value: Bool) -> Bool? { value }

    private func both(_ a: UInt64?, _ b: UInt64?, _ f: (UInt64, UInt64) -> UInt64) -> UInt64? {
        guard let a, let b else { return nil }
        return f(a, b)
    }

    func add(_ a: UInt64?, _ b: UInt64?) -> UInt64? { both(a, b, &+) }
    func sub(_ a: UInt64?, _ b: UInt64?) -> UInt64? { both(a, b, &-) }
    func bitAnd(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        if a == 0 || b == 0 { return 0 }
        return both(a, b, &)
    }
    func bitOr(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        if a == .max || b == .max { return .max }
        return both(a, b, |)
    }
    func bitNot(_ a: UInt64?) -> UInt64? { a.map { ~$0 } }
    func shiftLeft(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        if a == 0 { return 0 }
        if let b, b >= 64 { return 0 }
        return both(a, b) { $0 << $1 }
    }
    func shiftRight(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        if a == 0 { return 0 }
        if let b, b >= 64 { return 0 }
        return both(a, b) { $0 >> $1 }
    }

    func equal(_ a: UInt64?, _ b: UInt64?) -> Bool? {
        guard let a, let b else { return nil }
        return a == b
    }
    func less(_ a: UInt64?, _ b: UInt64?) -> Bool? {
        if b == 0 || a == .max { return false }
        guard let a, let b else { return nil }
        return a < b
    }
    func lessOrEqual(_ a: UInt64?, _ b: UInt64?) -> Bool? {
        if a == 0 || b == .max { return true }
        guard let a, let b else { return nil }
        return a <= b
    }

    func and(_ terms: [Bool?]) -> Bool? {
        if terms.contains(false) { return false }
        return terms.contains(nil) ? nil : true
    }
    func or(_ terms: [Bool?]) -> Bool? {
        if terms.contains(true) { return true }
        return terms.contains(nil) ? nil : false
    }
    func not(_ a: Bool?) -> Bool? { a.map { !$0 } }
    func implies(_ a: Bool?, _ b: Bool?) -> Bool? {
        if a == false || b == true { return true }
        guard let a, let b else { return nil }
        return !a || b
    }
    func ite(_ condition: Bool?, _ then: UInt64?, _ otherwise: UInt64?) -> UInt64? {
        guard let condition else { return then == otherwise ? then : nil }
        return condition ? then : otherwise
    }

    func addsWithoutOverflow(_ a: UInt64?, _ b: UInt64?) -> Bool? {
        if a == 0 || b == 0 { return true }
        guard let a, let b else { return nil }
        return !a.addingReportingOverflow(b).overflow
    }
    func lowBitsZero(_ a: UInt64?, bits: Int) -> Bool? {
        if bits <= 0 { return true }
        guard let a else { return nil }
        return bits >= 64 ? a == 0 : a & ((1 << UInt64(bits)) - 1) == 0
    }
}

/// Checks the platform alone decides, settled without a Z3 context (verdicts only).
///
/// For each platform the spec allows (every open truth both ways, each backend; open host facts
/// and every machine variable unknown), the model facts, the platform, the clauses, the
/// assumptions and the violation are evaluated with ``PartialEvaluation``. When the conjunction
/// is false on every one, no machine violates the invariant: the check holds. The premise is
/// tried the same way: false everywhere means vacuous. A premise that may hold needs a witness
/// (``WitnessSearch``) before the check is proved, as with the solver.
///
/// With dependencies the same evaluation names them (``dependencies(_:neighbours:policy:assumptions:irredundant:_:)``):
/// a conjunction is false in three-valued logic only where one conjunct is, so on each platform
/// either the model facts, the platform or the formula is false (nothing named is needed there) or
/// some clause or assumption is, and those clauses and assumptions alone leave every platform
/// without a machine: they are an unsat core of every case.
enum TrivialCases {
    /// Whether `formula` is false on every machine of `platform`, judged from the platform's
    /// truths alone.
    static func impossible(_ platform: PlatformSpec, neighbours: Int, policy: Policy, assumptions: [Assumption],
                           _ formula: (Situation<PartialEvaluation>, PartialEvaluation) -> Bool?) -> Bool {
        dependencies(platform, neighbours: neighbours, policy: policy, assumptions: assumptions, irredundant: false, formula) != nil
    }

    /// When `formula` is false on every machine of `platform` (``impossible(_:neighbours:policy:assumptions:_:)``),
    /// clauses and assumptions under which it stays so: on each platform the first false one,
    /// unless the rest is false there by itself; with `irredundant`, then without each name that
    /// the others cover on every platform. Nil when some platform may have a machine.
    static func dependencies(_ platform: PlatformSpec, neighbours: Int, policy: Policy, assumptions: [Assumption],
                             irredundant: Bool,
                             _ formula: (Situation<PartialEvaluation>, PartialEvaluation) -> Bool?) -> [String]? {
        let p = PartialEvaluation()
        let fixed = Set([SituationLayout.Name.msiIsolated, SituationLayout.Name.allowUnsafeInterrupts,
                         SituationLayout.Name.unalignedFixed] + Backend.allCases.map { "platform.backend-\($0.rawValue)" })
        let page = platform.pageSizes.count == 1 ? platform.pageSizes[0].rawValue : nil
        // For each platform: nil where the unnamed part is false, else the names that are.
        var falseNames: [Set<String>?] = []
        for truths in PlatformChoices.all(platform) {
            let s = SituationLayout.make(
                p, neighbours: neighbours, pageShift: platform.fixedPageShift,
                word: { $0 == SituationLayout.Name.pageSize ? page : nil },
                truth: { fixed.contains($0) ? truths[$0] : platform.hostFactValue(named: $0) })
            if p.and([s.wellFormed(p), platform.constrains(s.platform, p), formula(s, p)]) == false {
                falseNames.append(nil)
                continue
            }
            let named = policy.clauses.map { ($0.id, $0.rule.holds(s, p)) } + assumptions.map { ($0.rawValue, $0.holds(s, p)) }
            let names = Set(named.filter { $0.1 == false }.map(\.0))
            if names.isEmpty { return nil }
            falseNames.append(names)
        }
        let order = policy.clauses.map(\.id) + assumptions.map(\.rawValue)
        var kept = Set<String>()
        for names in falseNames.compactMap({ $0 }) where names.isDisjoint(with: kept) {
            if let first = order.first(where: names.contains) { kept.insert(first) }
        }
        if irredundant {
            for name in order where kept.contains(name) {
                let rest = kept.subtracting([name])
                if falseNames.allSatisfy({ $0.map { !$0.isDisjoint(with: rest) } ?? true }) { kept = rest }
            }
        }
        return order.filter(kept.contains).sorted()
    }
}

extension PlatformSpec {
    /// The value the spec fixes for the host fact whose variable is `name`; nil when it is open
    /// or `name` is no host fact.
    func hostFactValue(named name: String) -> Bool? {
        HostFact.allCases.first { $0.variable == name }.flatMap { value(of: $0) }
    }
}
