extension Rules {
    /// Only non-empty memory BARs map: `pci_resource_flags(pdev, index) & IORESOURCE_MEM`
    /// (legacy `vfio_pci_mmap`), `!(res->flags & IORESOURCE_MEM)` and `!resource_size(res)` go to
    /// `no_mmap` (`vfio_pci_probe_mmaps`, 4.8+). I/O BARs and the upper half of a 64-bit BAR never map.
    public static func memoryBAROnly<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.and(s.bar.isMemory, l.notEqual(s.bar.resource.size, l.word(0)))
    }
}
