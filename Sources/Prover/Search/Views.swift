import PCIModel
import VFIORules

/// What a view's exposed bytes are; its raw value orders views in reports and blocking.
public enum ViewFamily: Int, Hashable, Sendable, CaseIterable {
    /// A foreign device's BAR is exposed (`page-exclusive`).
    case foreignBAR = 0
    /// The device's own MSI-X table, in the mapped BAR (`msix-needs-filtering`).
    case tableInMappedBAR = 1
    /// Its MSI-X table in another of its BARs sharing a page with the mapped one.
    case tableInSharedBAR = 2
    /// Bytes outside the BAR's pages (`mmap-within-bar`).
    case outsideBAR = 3
}

/// One way the invariant can fail on the machine, with the bits that make up its view.
public struct ViewCase<L: Logic> {
    public var family: ViewFamily
    public var formula: L.Truth
    public var bits: [L.Truth]
    /// The neighbour of the situation the case is about, if any.
    public var neighbour: Int?
}

/// A view as the solver sees it: the case family and its bits.
public struct ViewKey: Hashable, Sendable {
    public var family: ViewFamily
    public var bits: [Bool]
}

extension ViewKey {
    /// The view in words, for the policy the counterexample was found under.
    public func view(policy: Policy) -> CounterexampleView {
        // The clause through which the mmap went, by each clause's path (``Rule/path``): the
        // request's bound; for a sub-page BAR the last sub-page test; for a table view the
        // exclusion unless filtered, when the policy has one.
        func through(_ paths: [Rule.Path]) -> String? {
            policy.clauses.filter { $0.rule.path.map(paths.contains) ?? false }.max { $0.rule.path! < $1.rule.path! }?.id
        }
        let subpage = bits[0], aligned = bits[1]
        var clause = through([.requestBound, .roundedRequestBound]) ?? "no clause bounds the request"
        if subpage, let last = through([.subpageStart, .subpageReservation]) { clause = last }
        if family == .tableInMappedBAR || family == .tableInSharedBAR, let exclusion = through([.tableUnlessFiltered]) {
            clause = exclusion
        }
        let barClass = "\(aligned ? "page-aligned" : "mid-page") \(subpage ? "sub-page" : "page-or-larger") BAR"
        switch family {
        case .foreignBAR:
            let kind = "\(bits[2] ? "64-bit" : "32-bit")\(bits[3] ? " prefetchable" : "") BAR of another device"
                + (bits[4] ? " on the same bus" : " under another window")
            return CounterexampleView(clause: clause, foreignKind: kind,
                                      pageOffsetClass: "\(barClass), foreign bytes \(bits[5] ? "after" : "before") it")
        case .tableInMappedBAR:
            return CounterexampleView(clause: clause, foreignKind: "the device's own MSI-X table, in the mapped BAR",
                                      pageOffsetClass: "\(barClass), table \(bits[2] ? "on the mapping's first page" : "beyond its first page")")
        case .tableInSharedBAR:
            return CounterexampleView(clause: clause, foreignKind: "the device's MSI-X table, in another of its BARs",
                                      pageOffsetClass: "\(barClass), table BAR \(bits[2] ? "after" : "before") it")
        case .outsideBAR:
            return CounterexampleView(clause: clause, foreignKind: "bytes outside the BAR's own pages",
                                      pageOffsetClass: "\(barClass), exposed \(bits[2] ? "before" : "after") its pages")
        }
    }
}

extension Situation {
    /// The invariant's violation cases with their view bits (``ViewKey``), on any situation:
    /// `bar(i)` says whether neighbour `i` is a device's BAR (nil: a window or another resource,
    /// whose cases are no view) and gives its width and prefetchability bits. The machine model
    /// knows those from its slots; the pair model does not, and ``PairViewOracle`` leaves them free.
    func viewCases(_ invariant: Invariant, _ l: L,
                   bar: (Int) -> (isMemory: L.Truth, is64: L.Truth, prefetchable: L.Truth)?) -> [ViewCase<L>] {
        let cases = invariant.violationCases(self, l)
        let subpage = isSubpage(l)
        let aligned = l.isPageAligned(self.bar.resource.start, platform)
        var out: [ViewCase<L>] = []
        for (i, c) in cases.enumerated() {
            let neighbour = invariant.firstNeighbourCase.flatMap { i >= $0 ? i - $0 : nil }
            var formula = c.exact
            var source: (isMemory: L.Truth, is64: L.Truth, prefetchable: L.Truth)?
            if let neighbour {
                source = bar(neighbour)
                formula = l.and(formula, source?.isMemory ?? l.no)
            }
            switch invariant {
            case .pageExclusive:
                guard let neighbour, let source else { continue }
                let n = neighbours[neighbour]
                out.append(ViewCase(family: .foreignBAR, formula: formula,
                                    bits: [subpage, aligned, source.is64, source.prefetchable, n.inParent,
                                           l.less(self.bar.resource.start, n.bar.resource.start)],
                                    neighbour: neighbour))
            case .msixNeedsFiltering:
                if let neighbour {
                    guard source != nil else { continue }
                    let n = neighbours[neighbour]
                    out.append(ViewCase(family: .tableInSharedBAR, formula: formula,
                                        bits: [subpage, aligned, l.less(self.bar.resource.start, n.bar.resource.start)],
                                        neighbour: neighbour))
                } else {
                    let inPage = l.sub(self.bar.resource.start, l.pageDown(self.bar.resource.start, platform))
                    let onFirstPage = l.less(l.add(inPage, msix.tableOffset), platform.pageSize)
                    out.append(ViewCase(family: .tableInMappedBAR, formula: formula, bits: [subpage, aligned, onFirstPage], neighbour: nil))
                }
            case .mmapWithinBAR:
                let x = exposed(l)
                out.append(ViewCase(family: .outsideBAR, formula: formula,
                                    bits: [subpage, aligned, l.less(x.first, l.pageDown(self.bar.resource.start, platform))],
                                    neighbour: nil))
            }
        }
        return out
    }
}
