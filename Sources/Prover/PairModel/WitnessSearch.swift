import PCIModel
import VFIORules

/// Concrete machines tried as vacuity witnesses before the solver is asked for one.
///
/// A vacuity witness is any assignment of the pair model on which the model facts, the platform,
/// every clause of the policy, every assumption and the invariant's premise hold. Whether the
/// solver or this search finds it does not matter to the proof: every candidate is evaluated
/// with the ``Concrete`` rules on exactly the formulas the solver would be given, and only one
/// that satisfies all of them is returned. When none does, ``PairProver`` asks the solver, so the
/// search is a shortcut, never a verdict: it cannot make a check vacuous or proved.
///
/// The candidates are small ordinary layouts: one BAR (half a page, a page, or four pages) at
/// 4 GiB in a window of sixteen pages, a neighbour of the same or another device (far away, or
/// right after the BAR), the device's MSI-X table absent, in the BAR or in the neighbour, the
/// whole BAR or its first page mapped, on every platform the spec leaves open. Measured: a
/// solver query for a witness costs 15-50 ms; the search finds one in well under a millisecond
/// for every shipped check whose premise can hold.
enum WitnessSearch {
    static func first(_ invariant: Invariant, policy: Policy, assumptions: [Assumption], platform: PlatformSpec,
                      neighbours: Int) -> Assignment? {
        guard neighbours >= 1, let pageSize = platform.pageSizes.first else { return nil }
        let c = Concrete()
        let page = pageSize.rawValue
        let shift = platform.fixedPageShift
        let base: UInt64 = 1 << 32
        for truths in PlatformChoices.all(platform) {
            // The platform facts alone: skip the rest when they already fail.
            var probe = Assignment(truths: truths)
            probe.words[SituationLayout.Name.pageSize] = page
            let bare = Situation<Concrete>.concrete(probe, neighbours: neighbours, pageShift: shift)
            guard platform.constrains(bare.platform, c) else { continue }
            for size in [page / 2, page, 4 * page] {
                let pages = max(page, (size + page - 1) / page * page)
                for adjacent in [false, true] {
                    for sameDevice in [false, true] {
                        for table in [nil, UInt64(0), UInt64(1)] {
                            for length in Set([pages, page]).sorted(by: >) {
                                var a = probe
                                a.words[SituationLayout.barNames.index] = 0
                                a.words[SituationLayout.barNames.start] = base
                                a.words[SituationLayout.barNames.size] = size
                                a.truths[SituationLayout.barNames.memory] = true
                                a.truths[SituationLayout.barNames.claimed] = true
                                a.words[SituationLayout.Name.parentStart] = base
                                a.words[SituationLayout.Name.parentSize] = 16 * page
                                a.setNeighbour(0, index: 1, start: adjacent ? base + size : base + 8 * page,
                                               size: adjacent ? size : page, sameDevice: sameDevice, inParent: true)
                                for i in 1..<neighbours {
                                    // Further neighbours: page-sized BARs of other devices beyond the first.
                                    a.setNeighbour(i, index: 1, start: base + UInt64(8 + i) * page, size: page,
                                                   sameDevice: false, inParent: true)
                                }
                                a.words[SituationLayout.Name.mmapOffset] = 0
                                a.words[SituationLayout.Name.mmapLength] = length
                                a.truths[SituationLayout.Name.msixPresent] = table != nil
                                a.words[SituationLayout.Name.tableBIR] = table ?? 0
                                a.words[SituationLayout.Name.pbaBIR] = table ?? 0
                                a.words[SituationLayout.Name.tableOffset] = 0
                                a.words[SituationLayout.Name.tableSize] = 16
                                a.words[SituationLayout.Name.pbaOffset] = 16
                                a.words[SituationLayout.Name.pbaSize] = 8
                                if satisfies(a, invariant, policy, assumptions, platform, neighbours, shift) { return a }
                            }
                        }
                    }
                }
            }
        }
        return nil
    }

    /// Every model fact, the platform, each clause and assumption, and the premise, concretely.
    static func satisfies(_ a: Assignment, _ invariant: Invariant, _ policy: Policy, _ assumptions: [Assumption],
                          _ platform: PlatformSpec, _ neighbours: Int, _ shift: Int?) -> Bool {
        ConcreteFormulas.hold(a, policy, assumptions, platform, neighbours, shift) { s, c in invariant.premise(s, c) }
    }
}

/// What a concrete search evaluates: the formulas the solver is given, on one machine.
enum ConcreteFormulas {
    /// Whether `goal` (the premise, or the violation), every model fact, the platform and each
    /// clause and assumption hold on `a`, evaluated with ``Concrete``.
    static func hold(_ a: Assignment, _ policy: Policy, _ assumptions: [Assumption], _ platform: PlatformSpec,
                     _ neighbours: Int, _ shift: Int?, goal: (Situation<Concrete>, Concrete) -> Bool) -> Bool {
        let c = Concrete()
        let s = Situation<Concrete>.concrete(a, neighbours: neighbours, pageShift: shift)
        return goal(s, c) && s.wellFormed(c) && platform.constrains(s.platform, c)
            && policy.clauses.allSatisfy { $0.rule.holds(s, c) }
            && assumptions.allSatisfy { $0.holds(s, c) }
    }
}

extension Assignment {
    /// Sets every field of neighbour `i` (`other<i>.*`): a claimed memory BAR, not firmware-fixed.
    mutating func setNeighbour(_ i: Int, index: UInt64, start: UInt64, size: UInt64, sameDevice: Bool, inParent: Bool) {
        let prefix = "other\(i)"
        words["\(prefix).index"] = index
        words["\(prefix).start"] = start
        words["\(prefix).size"] = size
        truths["\(prefix).memory"] = true
        truths["\(prefix).fixed"] = false
        truths["\(prefix).claimed"] = true
        truths["\(prefix).same-device"] = sameDevice
        truths["\(prefix).in-parent"] = inParent
    }
}
