/// A named assumption about the world a proof holds in. Every verdict states which it used and
/// which the proof depends on.
public enum Assumption: String, CaseIterable, Sendable, Codable, Hashable {
    /// BARs have power-of-two sizes and naturally aligned starts (standard BAR sizing), except
    /// firmware-fixed/EA resources on a platform that allows them unaligned.
    case naturalAlignment = "natural-alignment"
    /// The kernel resource tree invariant: children lie inside their parent, siblings are disjoint.
    case treeConsistent = "tree-consistent"
    /// Other devices' resources are claimed in the resource tree. `OPEN` forces this only for the
    /// mmapped device's own BARs; an unclaimed BAR of a driverless device breaks it.
    case foreignClaimed = "foreign-claimed"
    /// When MSI irq domains are registered and every one of them remaps, the device's MSIs go
    /// through one of them and are remapped. Inferred, not read: `irq_domain_check_msi_remap`
    /// walks the domain list, and a device whose MSIs bypass every listed domain (an arch's own
    /// MSI hooks beside irq domains) would break it. Only the pre-6.3 attach clauses read these
    /// facts, so only policies holding one assume it by default.
    case msiDomainsCoverDevice = "msi-domains-cover-device"

    /// The machine obeys the PCI rules for what a function can be: a memory BAR decodes at least
    /// 16 bytes and an I/O BAR at least 4 (their low 4 and 2 bits are hard-wired type bits, PCI
    /// Local Bus 3.0, 6.2.5.1); the MSI-X table and PBA sit inside the memory BAR their BIR names,
    /// BIR 6 and 7 being reserved, and do not overlap (6.8.2.4-6.8.2.5; QWORD alignment and the
    /// entry count are facts of every situation already, ``Situation/wellFormed(_:)``).
    case wellFormedPCI = "well-formed-pci"

    public static let defaults: [Assumption] = [.naturalAlignment, .treeConsistent, .foreignClaimed, .wellFormedPCI]

    /// The assumptions a check makes unless its spec names them: ``defaults``, and
    /// ``msiDomainsCoverDevice`` when the policy has a clause reading the MSI irq domains.
    public static func defaults(for policy: Policy) -> [Assumption] {
        let readsDomains = policy.clauses.contains { $0.rule.reads.contains(.msiDomainsRemap) }
        return defaults + (readsDomains ? [.msiDomainsCoverDevice] : [])
    }

    public var summary: String {
        switch self {
        case .naturalAlignment: "BAR sizes are powers of two and starts are aligned to them (unless fixed/EA and the platform allows it)"
        case .treeConsistent: "resources lie inside their parent window and siblings do not overlap"
        case .foreignClaimed: "other devices' resources are claimed in the kernel resource tree"
        case .msiDomainsCoverDevice: "when every registered MSI irq domain remaps, so do the device's MSIs"
        case .wellFormedPCI: "BARs are at least 16 bytes (memory) or 4 (I/O); the MSI-X table and PBA lie inside their BARs, apart"
        }
    }

    public var source: String {
        switch self {
        case .naturalAlignment: "PCI BAR sizing (low bits hard-wired); EA and IORESOURCE_PCI_FIXED are the exceptions"
        case .treeConsistent: "kernel/resource.c (__request_resource refuses overlaps)"
        case .foreignClaimed: "vfio_pci_core_enable claims only the device's own BARs (pci_enable_device); other devices' BARs are claimed only if the PCI core or their driver did"
        case .wellFormedPCI: "PCI Local Bus 3.0 6.2.5.1 (BAR sizing), 6.8.2.4-6.8.2.5 (MSI-X Table and PBA offsets and BIRs)"
        case .msiDomainsCoverDevice: "inferred from irq_domain_check_msi_remap (kernel/irq/irqdomain.c, read in 4.15.0): true when no MSI domain is registered or all remap"
        }
    }

    /// Evaluates the assumption on `s`.
    public func holds<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        switch self {
        case .naturalAlignment:
            let bars = [s.bar] + s.neighbours.map(\.bar)
            return l.and(bars.map { bar in
                l.or(l.and(bar.fixed, s.platform.unalignedFixedAllowed), l.naturallyAligned(bar.resource))
            })
        case .treeConsistent:
            let parent = l.span(s.parent)
            let target = l.span(s.bar.resource)
            var facts = [l.implies(s.bar.claimed, l.contains(parent, target))]
            for (i, n) in s.neighbours.enumerated() {
                let span = l.span(n.bar.resource)
                let claimedChild = l.and(n.bar.claimed, n.inParent)
                facts.append(l.implies(claimedChild, l.contains(parent, span)))
                facts.append(l.implies(l.and(claimedChild, s.bar.claimed), l.not(l.overlaps(span, target))))
                facts.append(l.implies(l.and(n.bar.claimed, l.not(n.inParent)), l.not(l.overlaps(span, parent))))
                for m in s.neighbours[(i + 1)...] {
                    let both = l.and(claimedChild, m.bar.claimed, m.inParent)
                    facts.append(l.implies(both, l.not(l.overlaps(span, l.span(m.bar.resource)))))
                }
            }
            return l.and(facts)
        case .foreignClaimed:
            return l.and(s.neighbours.map { l.implies(l.not($0.sameDevice), $0.bar.claimed) })
        case .wellFormedPCI:
            return wellFormedPCI(s, l)
        case .msiDomainsCoverDevice:
            let p = s.platform
            return l.implies(l.and(p[.msiDomainPresent], p[.msiDomainsRemap]), p.msiIsolated)
        }
    }
}

extension Assumption {
    private func wellFormedPCI<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        var facts: [L.Truth] = []
        let m = s.msix
        let bars = [(s.bar, l.yes)] + s.neighbours.map { ($0.bar, $0.sameDevice) }
        for (bar, ownDevice) in bars {
            let size = bar.resource.size
            facts.append(l.implies(bar.isMemory, l.greaterOrEqual(size, l.word(16))))
            facts.append(l.or(bar.isMemory, l.greaterOrEqual(size, l.word(4))))
            for (bir, offset, length) in [(m.tableBIR, m.tableOffset, m.tableSize), (m.pbaBIR, m.pbaOffset, m.pbaSize)] {
                // Offsets are below 2^32 and lengths below 2^16: the sum cannot wrap.
                facts.append(l.implies(l.and(m.present, ownDevice, l.equal(bar.index, bir)),
                                       l.and(bar.isMemory, l.lessOrEqual(l.add(offset, length), size))))
            }
        }
        facts.append(l.implies(m.present, l.and(l.lessOrEqual(m.tableBIR, l.word(5)), l.lessOrEqual(m.pbaBIR, l.word(5)))))
        let apart = l.or(l.lessOrEqual(l.add(m.tableOffset, m.tableSize), m.pbaOffset),
                         l.lessOrEqual(l.add(m.pbaOffset, m.pbaSize), m.tableOffset))
        facts.append(l.implies(l.and(m.present, l.equal(m.tableBIR, m.pbaBIR)), apart))
        return l.and(facts)
    }
}
