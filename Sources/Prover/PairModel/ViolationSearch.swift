import PCIModel
import Synchronization
import VFIORules

/// Concrete machines tried as counterexamples before any Z3 context is made.
///
/// A counterexample is any assignment of the pair model on which the model facts, the platform,
/// every clause of the policy, every assumption and the invariant's violation hold. Whether the
/// solver or this search finds it does not matter to the verdict: every candidate is evaluated
/// with the ``Concrete`` rules on exactly the formulas the solver would be given (``holds``, the
/// same re-check every reported counterexample passes), and only one that satisfies all of them is
/// returned. When none does, ``PairProver`` asks the solver, so the search is a shortcut to a
/// refutation, never to a proof: it cannot make a check proved or vacuous.
///
/// The candidates are small machines of the kinds the known refutations take, each as a reader
/// would draw it: the mapped BAR (a quarter page, a page, four pages, 8 GiB, or for firmware-fixed
/// BARs a page and a quarter or a page starting mid-page, and last a quarter page off the page
/// grid) low in a 1 MiB-granular window above
/// 4 GiB; one other resource right after the BAR, right before it, on the same addresses (for an
/// unclaimed BAR), outside the window, or after it but outside the resource tree; the MSI-X table, for the MSI-X invariant, at the start
/// of the BAR, in the same device's BAR beside it, or at offset `0xFFFFF000` of a BAR above 4 GiB
/// (where the kernel's 32-bit sum `msix_offset + msix_size` wraps); the whole BAR, its first page,
/// the table's page, or one page past the BAR mapped. Plainer candidates come first (no firmware
/// fixing, a claimed BAR, the smaller size), so the machine found is the plainest of its kind.
///
/// Measured (`prove Specs Specs/kernels`, release): candidates cost a few microseconds each; a
/// check the search cannot refute spends well under a millisecond in it per page size.
enum ViolationSearch {
    /// The first candidate that is a counterexample of `invariant` at `platform`'s first page size.
    ///
    /// The platforms tried differ only in their backend (``PlatformChoices/permissive(_:isolated:)``),
    /// which only the platform facts and the clauses read; so a shape is tried on each platform
    /// only once the violation, the model facts and the assumptions hold for it on the first.
    /// That is a shortcut of the search alone: whatever is returned has passed ``holds``.
    ///
    /// With `accept`, only a counterexample it accepts is returned (the topology search's facts
    /// about its own machines, ``PairViewOracle``).
    static func first(_ invariant: Invariant, policy: Policy, assumptions: [Assumption], platform: PlatformSpec,
                      neighbours: Int, accept: (Assignment) -> Bool = { _ in true }) -> Assignment? {
        guard neighbours >= 1, let pageSize = platform.pageSizes.first else { return nil }
        let shift = platform.fixedPageShift
        let c = Concrete()
        let choices = PlatformChoices.permissive(platform, isolated: invariant != .msixNeedsFiltering).compactMap {
            truths -> (truths: [String: Bool], terms: PlatformTerms<Concrete>)? in
            var probe = Assignment(truths: truths)
            probe.words[SituationLayout.Name.pageSize] = pageSize.rawValue
            let terms = SituationLayout.platform(c, pageShift: shift, word: probe.word, truth: probe.truth)
            return platform.constrains(terms, c) ? (truths, terms) : nil
        }
        guard let firstChoice = choices.first else { return nil }
        for candidate in candidates(invariant, page: pageSize.rawValue, firstChoice: firstChoice.truths, neighbours: neighbours,
                                    shift: shift) {
            var (a, s) = (candidate.assignment, candidate.situation)
            guard assumptions.allSatisfy({ $0.holds(s, c) }) else { continue }
            for choice in choices {
                s.platform = choice.terms
                guard policy.clauses.allSatisfy({ $0.rule.holds(s, c) }) else { continue }
                a.truths.merge(choice.truths) { $1 }
                if holds(a, invariant, policy, assumptions, platform, neighbours, shift), accept(a) { return a }
            }
        }
        return nil
    }

    /// A shape applied on the first platform choice, with its situation, when the violation and
    /// the model facts hold for it there.
    struct Candidate: @unchecked Sendable {
        var assignment: Assignment
        var situation: Situation<Concrete>
    }

    /// The shapes (``shapes(_:page:)``) on which the violation and the model facts hold, on the
    /// first platform choice: neither reads the policy or the assumptions, so the candidates of
    /// one invariant, page size, platform choice and model size are the same for every check, and
    /// are made once in a process (`explain` tries a dozen sets of clauses and assumptions on
    /// them, `prove` a check per release). Each candidate found is still checked in full
    /// (``holds``). ``forgetCandidates()`` starts afresh.
    static func candidates(_ invariant: Invariant, page: UInt64, firstChoice: [String: Bool], neighbours: Int,
                           shift: Int?) -> [Candidate] {
        let key = CandidateKey(invariant: invariant, page: page, firstChoice: firstChoice, neighbours: neighbours, shift: shift)
        if let known = knownCandidates.withLock({ $0[key] }) { return known }
        let c = Concrete()
        var made: [Candidate] = []
        for shape in shapes(invariant, page: page) {
            var a = Assignment(truths: firstChoice)
            a.words[SituationLayout.Name.pageSize] = page
            shape.apply(&a, neighbours: neighbours)
            let s = Situation<Concrete>.concrete(a, neighbours: neighbours, pageShift: shift)
            if invariant.violated(s, c), s.wellFormed(c) { made.append(Candidate(assignment: a, situation: s)) }
        }
        knownCandidates.withLock { known in
            if known.count >= 256 { known.removeAll() }
            known[key] = made
        }
        return made
    }

    /// Forgets the candidates made so far (``candidates(_:page:firstChoice:neighbours:shift:)``), as
    /// if the process had just started.
    static func forgetCandidates() { knownCandidates.withLock { $0.removeAll() } }

    private struct CandidateKey: Hashable, Sendable {
        var invariant: Invariant
        var page: UInt64
        var firstChoice: [String: Bool]
        var neighbours: Int
        var shift: Int?
    }

    private static let knownCandidates = Mutex<[CandidateKey: [Candidate]]>([:])

    /// Every model fact, the platform, each clause and assumption, and the violation, concretely.
    static func holds(_ a: Assignment, _ invariant: Invariant, _ policy: Policy, _ assumptions: [Assumption],
                      _ platform: PlatformSpec, _ neighbours: Int, _ shift: Int?) -> Bool {
        ConcreteFormulas.hold(a, policy, assumptions, platform, neighbours, shift) { s, c in invariant.violated(s, c) }
    }

    /// Where the other resource sits.
    enum Place: CaseIterable {
        /// Right after the BAR's last byte (aligned to its own size).
        case after
        /// Right before the BAR's first byte.
        case before
        /// On the BAR's own addresses (a BAR that is not claimed need not avoid it; one that is
        /// claimed shares them only without `foreign-claimed` or `tree-consistent`).
        case same
        /// Past the end of the parent window, outside it: a resource no mmap of the BAR reaches
        /// unless it reaches past the window.
        case outside
        /// Where ``after`` puts it, but not a child of the parent window: a resource tree that
        /// is not consistent (`tree-consistent` dropped, as `explain` does to see whether a proof
        /// needs it), which no check under that assumption can be refuted with.
        case afterNotChild
    }

    /// Where the MSI-X table is.
    enum Table {
        /// No MSI-X capability.
        case absent
        /// One entry at offset 0 of the mapped BAR, the PBA right after it.
        case atStart
        /// 512 entries at offset `0xFFFFF000` of the mapped BAR (a BAR above 4 GiB), the PBA at 0.
        case wrapping
        /// One entry at offset 0 of the other resource, a BAR of the same device.
        case inOther
    }

    /// What is mapped.
    enum Request: CaseIterable {
        /// The whole BAR, page-rounded.
        case whole
        /// The first page.
        case firstPage
        /// The page holding the start of the MSI-X table.
        case tablePage
        /// The BAR's pages and one more.
        case pastEnd
    }

    /// One candidate machine, apart from its platform.
    struct Shape {
        var size: UInt64
        /// The BAR's start relative to the window's base: 0 for naturally aligned, else a
        /// mid-page start of a firmware-fixed BAR.
        var startOffset: UInt64
        var fixed: Bool
        var claimed: Bool
        var place: Place
        var sameDevice: Bool
        var otherClaimed: Bool
        var table: Table
        var request: Request
        var page: UInt64

        func apply(_ a: inout Assignment, neighbours: Int) {
            typealias N = SituationLayout.Name
            let bar = SituationLayout.barNames
            // The window's base: 4 GiB, or the BAR's own alignment when it is larger.
            let base = max(UInt64(1) << 32, size.nextPowerOfTwo)
            let start = base + startOffset
            let last = start + size - 1
            let otherSize = place == .same ? size : max(16, min(page / 4, size.nextPowerOfTwo))
            let window: UInt64 = 1 << 20
            var otherStart: UInt64
            switch place {
            case .after, .afterNotChild: otherStart = (last + 1 + otherSize - 1) / otherSize * otherSize
            case .before: otherStart = start - otherSize
            case .same: otherStart = start
            case .outside: otherStart = 0
            }
            let lowest = min(start, otherStart == 0 ? start : otherStart)
            let highest = max(last, place == .outside ? last : otherStart + otherSize - 1)
            let parentStart = lowest / window * window
            let parentEnd = (highest / window + 1) * window - 1
            if place == .outside { otherStart = parentEnd + 1 }
            a.words[bar.index] = 0
            a.words[bar.start] = start
            a.words[bar.size] = size
            a.truths[bar.memory] = true
            a.truths[bar.fixed] = fixed
            a.truths[bar.claimed] = claimed
            a.words[N.parentStart] = parentStart
            a.words[N.parentSize] = parentEnd - parentStart + 1
            a.setNeighbour(0, index: 1, start: otherStart, size: otherSize, sameDevice: sameDevice,
                           inParent: place != .outside && place != .afterNotChild)
            a.truths[SituationLayout.neighbourNames(0).claimed] = otherClaimed
            for i in 1..<max(1, neighbours) {
                // Further neighbours: other devices' BARs past the window, out of every mmap's reach.
                a.setNeighbour(i, index: 1, start: parentEnd + 1 + UInt64(i) * window, size: page,
                               sameDevice: false, inParent: false)
            }
            let tableOffset: UInt64 = table == .wrapping ? (1 << 32) - 0x1000 : 0
            let entries: UInt64 = table == .wrapping ? 512 : 1
            a.truths[N.msixPresent] = table != .absent
            a.words[N.tableBIR] = table == .inOther ? 1 : 0
            a.words[N.pbaBIR] = table == .inOther ? 1 : 0
            a.words[N.tableOffset] = tableOffset
            a.words[N.tableSize] = entries * 16
            a.words[N.pbaOffset] = table == .wrapping ? 0 : 16
            a.words[N.pbaSize] = (entries + 63) / 64 * 8
            let pages = (startOffset % page + size + page - 1) / page * page
            switch request {
            case .whole: (a.words[N.mmapOffset], a.words[N.mmapLength]) = (0, pages)
            case .firstPage: (a.words[N.mmapOffset], a.words[N.mmapLength]) = (0, page)
            case .tablePage: (a.words[N.mmapOffset], a.words[N.mmapLength]) = (tableOffset / page * page, page)
            case .pastEnd: (a.words[N.mmapOffset], a.words[N.mmapLength]) = (0, pages + page)
            }
        }
    }

    /// The candidates for `invariant` at page size `page`, plainest first.
    static func shapes(_ invariant: Invariant, page: UInt64) -> [Shape] {
        // (size, start offset, fixed): naturally aligned BARs, then firmware-fixed ones that are not.
        var bars: [(UInt64, UInt64, Bool)] = [page / 4, page, 4 * page].map { ($0, 0, false) }
        if invariant == .msixNeedsFiltering { bars.append((1 << 33, 0, false)) }
        bars += bars.map { ($0.0, $0.1, true) } + [(page + page / 4, 0, true), (page, page / 2, true)]
        // Last, a naturally aligned sub-page BAR off the page grid (which no release maps:
        // `subpage-start-aligned`, or legacy's whole-page rule).
        bars.append((page / 4, page / 4, false))
        let tables: [Table]
        let places: [Place]
        let requests: [Request]
        let sameDevice: [Bool]
        switch invariant {
        case .pageExclusive:
            (tables, places, requests, sameDevice) = ([.absent], [.after, .before, .same, .afterNotChild],
                                                      [.whole, .firstPage, .pastEnd], [false])
        case .msixNeedsFiltering:
            (tables, places, requests, sameDevice) = ([.atStart, .inOther, .wrapping], [.outside, .after], [.whole, .firstPage, .tablePage], [false, true])
        case .mmapWithinBAR:
            (tables, places, requests, sameDevice) = ([.absent], [.outside], [.pastEnd, .whole], [false])
        }
        var result: [Shape] = []
        for (size, startOffset, fixed) in bars {
            for claimed in [true, false] {
                for table in tables where table != .wrapping || size > 1 << 32 {
                    // A claimed BAR shares its addresses only with what is not claimed beside it or
                    // a tree that is not consistent: machines only a dropped assumption allows.
                    for place in places where table != .inOther || place == .after {
                        for same in sameDevice where table != .inOther || same {
                            // An unclaimed BAR of another device: only without `foreign-claimed`.
                            for otherClaimed in [true, false] where otherClaimed || same || invariant == .pageExclusive {
                                for request in requests where request != .tablePage || table == .wrapping {
                                    result.append(Shape(size: size, startOffset: startOffset, fixed: fixed, claimed: claimed,
                                                        place: place, sameDevice: same, otherClaimed: otherClaimed,
                                                        table: table, request: request, page: page))
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// The platforms a concrete search tries: each backend the spec allows, with its other open facts
/// either both ways or set to the value that lets the clauses grant the most.
enum PlatformChoices {
    /// Every open truth both ways (`msi-isolated`, `allow_unsafe_interrupts`), open host facts
    /// at the value that grants the most.
    static func all(_ platform: PlatformSpec) -> [[String: Bool]] {
        choices(platform, isolated: platform.msiIsolated.map { [$0] } ?? [true, false],
                unsafe: platform.allowUnsafeInterrupts.map { [$0] } ?? [false, true])
    }

    /// One choice per backend: every open fact at the value that grants the most (MSIs isolated,
    /// unsafe interrupts allowed), except that MSIs are not isolated where `isolated` says so
    /// (the MSI-X invariant's violation needs it).
    static func permissive(_ platform: PlatformSpec, isolated: Bool) -> [[String: Bool]] {
        choices(platform, isolated: [platform.msiIsolated ?? isolated], unsafe: [platform.allowUnsafeInterrupts ?? true])
    }

    private static func choices(_ platform: PlatformSpec, isolated: [Bool], unsafe: [Bool]) -> [[String: Bool]] {
        var result: [[String: Bool]] = []
        for isolated in isolated {
            for unsafe in unsafe {
                for backend in platform.backends {
                    var truths: [String: Bool] = [
                        SituationLayout.Name.msiIsolated: isolated, SituationLayout.Name.allowUnsafeInterrupts: unsafe,
                        SituationLayout.Name.unalignedFixed: platform.unalignedFixedResources,
                    ]
                    for other in Backend.allCases { truths["platform.backend-\(other.rawValue)"] = other == backend }
                    // An open host fact takes the value that grants the most.
                    for fact in HostFact.allCases { truths[fact.variable] = platform.value(of: fact) ?? fact.permissive }
                    result.append(truths)
                }
            }
        }
        return result
    }
}
