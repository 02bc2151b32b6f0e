import PCIModel
import VFIORules

/// A mitigation for one counterexample, proved on its machine, or what was tried.
public enum Mitigation: Sendable, Equatable {
    /// `pci=resource_alignment=<value>`: the kernel grows the mapped BAR's resource to a page.
    case resourceAlignment(value: String, targets: Int)
    /// A clause restored to the policy (one the spec dropped) or added from another policy;
    /// `label` says which, e.g. `restore clause mainline.subpage-reservation`.
    case clause(label: String, targets: Int)
    /// Nothing proved; each attempt with why it failed.
    case none(tried: [String])

    /// The kernel parameter to set, or the clause to add, as the fixture README and the search
    /// report print it: with `proved on this machine for every placement and every mmap of its
    /// N memory BAR(s)`, or `no mitigation found; tried: ...`.
    public var text: String {
        switch self {
        case let .resourceAlignment(value, targets): "pci=resource_alignment=\(value): " + Self.proved(targets)
        case let .clause(label, targets): "\(label): " + Self.proved(targets)
        case let .none(tried): "no mitigation found; tried: " + tried.joined(separator: "; ")
        }
    }

    /// Whether one was proved.
    public var isProved: Bool {
        if case .none = self { return false }
        return true
    }

    static func proved(_ targets: Int) -> String {
        "proved on this machine for every placement and every mmap of its \(targets) memory BAR(s)"
    }
}

extension TopologySearch {
    /// A mitigation for `cx` and its proof on that machine: the machine's devices, BARs, kinds,
    /// sizes and bridges held fixed (``MachineShape/init(counterexample:)``), every placement and
    /// every BAR's mmap checked (``provesShape(_:pageShift:policy:bounds:platform:mapped:)``).
    /// Tried in order: `pci=resource_alignment=<PAGE_SHIFT>@<bdf>` for `page-exclusive` (the
    /// kernel resizes the target's resource to a page, so nothing else can share its page), then
    /// each clause the counterexample's policy dropped, restored, then each clause of another
    /// policy, added.
    ///
    /// The alignment is never offered where the platform may be `PCI_PROBE_ONLY`:
    /// `pci_specified_resource_alignment` ignores the whole parameter there ("PCI: Ignoring
    /// requested alignments (PCI_PROBE_ONLY)", drivers/pci/pci.c, read in 4.9.0 and 6.18.2).
    public func mitigation(for cx: TopologyCounterexample, bounds: SearchBounds) throws -> Mitigation {
        let shape = MachineShape(counterexample: cx)
        let shift = cx.platform.pageSize.trailingZeroBitCount
        let policy = try cx.rebuiltPolicy()
        var tried: [String] = []
        func proves(_ p: Policy, _ b: SearchBounds) throws -> ShapeProof {
            try provesShape(shape, pageShift: shift, policy: p, bounds: b, platform: cx.platform)
        }
        if cx.invariant == .pageExclusive && platform.value(of: .probeOnly) != false {
            tried.append("pci=resource_alignment= (not offered: the kernel ignores it under PCI_PROBE_ONLY, "
                         + "which the spec's platform leaves open; set probe_only: no if the host is not PROBE_ONLY)")
        }
        if cx.invariant == .pageExclusive && platform.value(of: .probeOnly) == false {
            let value = "\(shift)@\(cx.target.function)"
            var b = bounds
            if let parameter = try? ResourceAlignmentParameter(parsing: value) {
                b.resourceAlignment = ResourceAlignmentParameter(entries: parameter.entries + (bounds.resourceAlignment?.entries ?? []))
                switch try proves(policy, b) {
                case .proved(let targets): return .resourceAlignment(value: value, targets: targets)
                case .refuted(let bar): tried.append("pci=resource_alignment=\(value) (\(bar) still breaks it)")
                case .unknown(let reason): tried.append("pci=resource_alignment=\(value) (unknown: \(reason))")
                }
            }
        }
        var candidates: [(String, Policy)] = []
        if let base = Policy.named(cx.policyName) {
            for removed in cx.removedClauses {
                let rest = cx.removedClauses.filter { $0 != removed }
                if let restored = try? base.removing(rest) { candidates.append(("restore clause \(cx.policyName).\(removed)", restored)) }
            }
        }
        var considered = Set(cx.removedClauses.compactMap(Rule.init(rawValue:)))
        for other in Policy.all {
            for clause in other.clauses where !policy.clauses.contains(where: { $0.rule == clause.rule }) {
                guard considered.insert(clause.rule).inserted else { continue }
                candidates.append(("add clause \(clause.rule.rawValue) (as \(clause.id))", policy.adding(clause.rule)))
            }
        }
        for (label, candidate) in candidates {
            switch try proves(candidate, bounds) {
            case .proved(let targets): return .clause(label: label, targets: targets)
            case .refuted: tried.append(label)
            case .unknown(let reason): tried.append("\(label) (unknown: \(reason))")
            }
        }
        return .none(tried: tried)
    }
}

extension MachineShape {
    /// The counterexample's machine with placement left open: its functions in slot order, their
    /// BARs, kinds, sizes and upstream bridges, and the mapped function's MSI-X capability.
    public init(counterexample cx: TopologyCounterexample) {
        let t = cx.topology
        let bridgeIndex = Dictionary(uniqueKeysWithValues: t.bridges.enumerated().map { ($1.address, $0 + 1) })
        self.init(devices: t.functions.map { f in
            Device(upstream: f.upstream.flatMap { bridgeIndex[$0] } ?? 0, slots: f.bars.map {
                Slot(index: $0.index, kind: $0.kind, prefetchable: $0.prefetchable, fixed: $0.fixed, size: $0.size)
            }, msix: f.msix)
        }, bridges: t.bridges.count)
    }
}
