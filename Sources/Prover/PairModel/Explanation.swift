import PCIModel
import VFIORules


extension Counterexample {
    /// The counterexample in plain words: which BAR, which page, which other resource, and the
    /// platform facts that matter. Sorted and deterministic.
    public func explanation(for invariant: Invariant) -> [String] {
        let c = Concrete()
        let s = situation
        let bar = s.bar.resource
        let barLast = bar.start &+ (bar.size &- 1)
        let x = s.exposed(c)
        let page = s.platform.pageSize
        var lines: [String] = []
        lines.append("page size \(sizeText(page)); backend \(backendName(s)); MSIs \(s.platform.msiIsolated ? "isolated" : "not isolated"); allow_unsafe_interrupts=\(s.platform.allowUnsafeInterrupts ? 1 : 0)")
        // The host facts the policy's clauses read, as the machine has them.
        let rules = Rule.allCases.filter { rule in allowedBy.contains { $0.hasSuffix("." + rule.rawValue) } }
        let read = Set(rules.flatMap(\.reads)).sorted()
        if !read.isEmpty {
            lines.append("host: " + read.map { $0.text(s.platform[$0]) }.joined(separator: "; "))
        }
        lines.append("the mmapped device's BAR \(s.bar.index): [\(hexText(bar.start)), \(hexText(barLast))], \(sizeText(bar.size))"
                     + (s.bar.fixed ? ", firmware-fixed/EA" : "") + (s.bar.claimed ? "" : ", not claimed")
                     + (bar.start % page == 0 ? ", page-aligned" : ", not page-aligned"))
        lines.append("parent window: [\(hexText(s.parent.start)), \(hexText(s.parent.start &+ (s.parent.size &- 1)))]")
        lines.append("mmap offset \(hexText(s.request.offset)) length \(hexText(s.request.length)) exposes [\(hexText(x.first)), \(hexText(x.last))]")
        for (i, n) in s.neighbours.enumerated() {
            let r = n.bar.resource
            let last = r.start &+ (r.size &- 1)
            let owner = n.sameDevice ? "another BAR (\(n.bar.index)) of the same device" : "a BAR of another device"
            let place = n.inParent ? "in the same parent window" : "outside the parent window"
            var line = "resource \(i + 1): \(owner), [\(hexText(r.start)), \(hexText(last))], \(sizeText(r.size))"
                + (n.bar.fixed ? ", firmware-fixed/EA" : "") + (n.bar.claimed ? "" : ", not claimed") + ", \(place)"
            if c.overlaps(x, c.span(r)) {
                let first = max(x.first, r.start), lastShared = min(x.last, last)
                line += "; the mmap exposes its bytes [\(hexText(first)), \(hexText(lastShared))]"
            }
            lines.append(line)
        }
        if invariant == .msixNeedsFiltering || s.msix.present {
            if s.msix.present {
                lines.append("MSI-X table in BAR \(s.msix.tableBIR) at offset \(hexText(s.msix.tableOffset)), \(s.msix.tableSize / 16) entries"
                             + (s.tableReachable(c) ? "; table bytes are reachable through the mmap" : ""))
            }
        }
        lines.append("allowed by: " + allowedBy.joined(separator: ", "))
        return lines
    }

    private func backendName(_ s: Situation<Concrete>) -> String {
        let p = s.platform
        if p.type1 { return "type1" }
        if p.iommufd { return "iommufd" }
        if p.spapr { return "spapr" }
        return "noiommu"
    }
}
