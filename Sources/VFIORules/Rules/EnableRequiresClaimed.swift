extension Rules {
    /// A device opens only if every BAR of it is assigned and claimed in the resource tree.
    ///
    /// `vfio_pci_core_enable` calls `pci_enable_device`; `pci_enable_resources`
    /// (drivers/pci/setup-res.c) refuses a BAR with `IORESOURCE_UNSET` ("not assigned; can't
    /// enable device") or without a parent ("not claimed; can't enable device"). All versions.
    public static func enableRequiresClaimed<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.and([s.bar.claimed] + s.neighbours.map { l.implies($0.sameDevice, $0.bar.claimed) })
    }

    /// 4.4 on arm and arm64: `pcibios_enable_device` returns 0 before `pci_enable_resources` when
    /// `pci_has_flag(PCI_PROBE_ONLY)` (arch/arm/kernel/bios32.c and arch/arm64/kernel/pci.c, read in
    /// 4.4.121; arm64 has no such function in 4.9.0), so under PROBE_ONLY a device opens with
    /// unassigned or unclaimed BARs. 4.6.2's tree has neither arch; the 4.6 preset keeps the weaker
    /// rule, which grants more and so keeps its proofs sound.
    public static func enableRequiresClaimedUnlessProbeOnly<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.or(s.platform[.probeOnly], enableRequiresClaimed(s, l))
    }
}
