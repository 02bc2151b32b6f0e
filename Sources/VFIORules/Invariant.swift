/// A security invariant with a stable id (docs/design.md).
public enum Invariant: String, CaseIterable, Sendable, Codable, Hashable {
    /// No byte reachable through an allowed mmap belongs to another device's resource.
    case pageExclusive = "page-exclusive"
    /// If any byte of a device's MSI-X table is reachable through an allowed mmap, that
    /// device's MSIs are filtered.
    case msixNeedsFiltering = "msix-needs-filtering"
    /// An allowed mmap never reaches past the page-rounded extent of its own BAR.
    case mmapWithinBAR = "mmap-within-bar"

    public var statement: String {
        switch self {
        case .pageExclusive: "no byte reachable through an allowed mmap belongs to another device's resource"
        case .msixNeedsFiltering: "if any byte of a device's MSI-X table is reachable through an allowed mmap, its MSIs are filtered"
        case .mmapWithinBAR: "an allowed mmap never reaches past the page-rounded extent of its own BAR"
        }
    }

    /// The invariant fails on `s` (given that the mmap is allowed): some case of
    /// ``violationCases(_:_:)`` holds.
    public func violated<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.or(violationCases(s, l).map(\.exact))
    }

    /// ``violated(_:_:)`` split into cases whose disjunction it is: one per resource that can be
    /// the other half of the violating pair. Each case is a smaller query; the invariant holds iff
    /// every case is unsatisfiable.
    public func violationCases<L: Logic>(_ s: Situation<L>, _ l: L) -> [Case<L>] {
        let x = s.exposed(l)
        switch self {
        case .pageExclusive:
            return s.neighbours.map { n in Case(l.and(l.not(n.sameDevice), l.overlaps(x, l.span(n.bar.resource)))) }
        case .msixNeedsFiltering:
            return s.tableReachableCases(l).map { $0.and(l.not(s.platform.msiIsolated), l) }
        case .mmapWithinBAR:
            let bar = l.span(s.bar.resource)
            let firstPage = l.pageDown(bar.first, s.platform)
            let lastByteOfLastPage = l.add(l.pageDown(bar.last, s.platform), l.sub(s.platform.pageSize, l.word(1)))
            return [Case(l.or(l.less(x.first, firstPage), l.less(lastByteOfLastPage, x.last)))]
        }
    }

    /// Where the per-neighbour cases start in ``violationCases(_:_:)`` and ``premiseCases(_:_:)``:
    /// case `first + i` is about neighbour `i`; cases before `first` are not about any neighbour.
    /// Nil when no case is per-neighbour.
    public var firstNeighbourCase: Int? {
        switch self {
        case .pageExclusive: 0
        case .msixNeedsFiltering: 1
        case .mmapWithinBAR: nil
        }
    }

    /// ``premise(_:_:)`` split into cases whose disjunction it is.
    public func premiseCases<L: Logic>(_ s: Situation<L>, _ l: L) -> [Case<L>] {
        switch self {
        case .pageExclusive: s.neighbours.map { Case(l.not($0.sameDevice)) }
        case .msixNeedsFiltering: s.tableReachableCases(l)
        case .mmapWithinBAR: [Case(l.yes)]
        }
    }

    /// What must be possible for the invariant to say anything: its premise. When no allowed
    /// mmap satisfies it, the invariant holds vacuously.
    public func premise<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.or(premiseCases(s, l).map(\.exact))
    }

    /// Why the premise matters, for a vacuity report.
    public var premiseText: String {
        switch self {
        case .pageExclusive: "an allowed mmap exists next to another device's resource"
        case .msixNeedsFiltering: "some MSI-X table byte is reachable through an allowed mmap"
        case .mmapWithinBAR: "an allowed mmap exists"
        }
    }
}
