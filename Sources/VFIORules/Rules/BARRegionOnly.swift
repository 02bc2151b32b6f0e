extension Rules {
    /// Only BAR regions 0...5 are ever mmapped: `index >= VFIO_PCI_ROM_REGION_INDEX` is
    /// rejected, so the ROM (6) and VGA (8) never map (`vfio_pci_mmap` 3.6+, `vfio_pci_core_mmap` 6.x).
    public static func barRegionOnly<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.less(s.bar.index, l.word(6))
    }
}
