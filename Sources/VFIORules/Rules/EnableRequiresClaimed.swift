extension Rules {
    /// A device opens only if every BAR of it is assigned and claimed in the resource tree.
    ///
    /// `vfio_pci_core_enable` calls `pci_enable_device`; `pci_enable_resources`
    /// (drivers/pci/setup-res.c) refuses a BAR with `IORESOURCE_UNSET` ("not assigned; can't
    /// enable device") or without a parent ("not claimed; can't enable device"). All versions.
    public static func enableRequiresClaimed<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.and([s.bar.claimed] + s.neighbours.map { l.implies($0.sameDevice, $0.bar.claimed) })
    }
}
