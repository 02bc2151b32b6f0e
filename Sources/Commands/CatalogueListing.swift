import VFIORules

/// `barproof list`: the policies, the kernel release presets and features, the clause catalogue
/// with each clause's kernel source, the host facts, the invariants and the assumptions.
public enum CatalogueListing {
    /// The listing, as printed.
    public static var text: String {
        var lines: [String] = ["Policies"]
        for policy in Policy.all {
            lines.append("  \(policy.name): \(policy.summary)")
            lines.append("    clauses: \(policy.clauses.map(\.shortName).joined(separator: ", "))")
        }
        lines.append("")
        lines.append("Kernel releases (a spec's `kernel: \"4.19\"`, `audit --kernel 4.19`: the preset covering it)")
        for release in KernelRelease.all {
            let trees = release.trees.isEmpty ? "no tree read" : "read in " + release.trees.joined(separator: ", ")
            lines.append("  \(release.name) (\(release.range), policy \(release.policy.name); \(trees)): \(release.summary)")
            lines.append("    clauses: \(release.rules.map(\.rawValue).joined(separator: ", "))")
        }
        lines.append("")
        lines.append("Kernel features (a spec's `features: {NAME: yes|no}` on a `kernel:` preset, for backports and patched kernels)")
        for feature in KernelFeature.all {
            let has = KernelRelease.all.filter { feature.isIn($0.policy) }.map(\.name)
            lines.append("  \(feature.name) (since \(feature.since)): \(feature.summary)")
            lines.append("    replaces \(feature.before.map(\.rawValue).joined(separator: " or "))"
                         + (feature.after.isEmpty ? "" : " with \(feature.after.map(\.rawValue).joined(separator: ", "))")
                         + "; presets with it: \(has.joined(separator: ", "))")
        }
        lines.append("")
        lines.append("Clause catalogue (a spec's `add:` or `audit --add` adds any of them to a policy)")
        for rule in Rule.allCases {
            lines.append("  \(rule.rawValue): \(rule.summary)")
            lines.append("    source: \(rule.source)")
            if !rule.reads.isEmpty {
                lines.append("    reads: \(HostFact.allCases.filter(rule.reads.contains).map(\.rawValue).joined(separator: ", "))")
            }
        }
        lines.append("")
        lines.append("Host facts (a spec's platform key in snake case, `audit --host-fact NAME=yes|no`; open by default)")
        for fact in HostFact.allCases {
            lines.append("  \(fact.rawValue): \(fact.text(true)) / \(fact.text(false))")
        }
        lines.append("")
        lines.append("Invariants")
        for invariant in Invariant.allCases {
            lines.append("  \(invariant.rawValue): \(invariant.statement)")
        }
        lines.append("")
        lines.append("Assumptions (default: \(Assumption.defaults.map(\.rawValue).joined(separator: ", ")))")
        for assumption in Assumption.allCases {
            lines.append("  \(assumption.rawValue): \(assumption.summary)")
            lines.append("    source: \(assumption.source)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
