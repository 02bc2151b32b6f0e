extension Rules {
    /// 4.8-6.14: `vfio_pci_probe_mmaps`: `if (!IS_ENABLED(CONFIG_VFIO_PCI_MMAP)) goto no_mmap;`, and
    /// `config VFIO_PCI_MMAP` is `def_bool y if !S390` (drivers/vfio/pci/Kconfig): no BAR of an s390
    /// host maps (read in 4.9.0 and 6.11.11). 6.18.2 tests `vdev->pdev->non_mappable_bars` instead,
    /// set only for s390 ISM devices, and no longer has the rule; 4.4.121's `vfio_pci_mmap` did not
    /// test the symbol (only region info did), so the legacy presets do not have it either.
    public static func mmapConfigured<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.not(s.platform[.s390])
    }
}
