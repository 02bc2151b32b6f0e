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

    public static let defaults: [Assumption] = [.naturalAlignment, .treeConsistent, .foreignClaimed]

    public var summary: String {
        switch self {
        case .naturalAlignment: "BAR sizes are powers of two and starts are aligned to them (unless fixed/EA and the platform allows it)"
        case .treeConsistent: "resources lie inside their parent window and siblings do not overlap"
        case .foreignClaimed: "other devices' resources are claimed in the kernel resource tree"
        }
    }

    public var source: String {
        switch self {
        case .naturalAlignment: "PCI BAR sizing (low bits hard-wired); EA and IORESOURCE_PCI_FIXED are the exceptions"
        case .treeConsistent: "kernel/resource.c (__request_resource refuses overlaps)"
        case .foreignClaimed: "vfio-rules.md 8.6: OPEN claims only the device's own BARs"
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
        }
    }
}
