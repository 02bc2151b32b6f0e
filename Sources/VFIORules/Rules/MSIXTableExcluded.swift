extension Rules {
    /// Legacy: no mmap of the MSI-X BAR may overlap the table.
    /// `vfio_pci_mmap` (3.6 ... 4.15): `if (index == vdev->msix_bar) { ... if (!(req_start >=
    /// vdev->msix_offset + vdev->msix_size || req_start + req_len <= vdev->msix_offset)) return -EINVAL; }`.
    /// Read in 4.4.121, 4.6.2, 4.9.0 and 4.15.0; gone in 4.19.304. Removed by a32295c612c5
    /// "vfio-pci: Allow mapping MSIX BAR" (4.16). The sum is the kernel's `u32 + u16`, wrapping at
    /// 2^32 (``Situation/requestOverlapsTable(_:)``).
    public static func msixTableExcluded<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.implies(l.and(s.msix.present, l.equal(s.bar.index, s.msix.tableBIR)), l.not(s.requestOverlapsTable(l)))
    }

    /// RFC v4: the table exclusion applies only when MSIs are not filtered.
    /// RFC v4 patch 6/7 ("Allow to mmap MSI-X table if IOMMU_CAP_INTR_REMAP was set"); the
    /// PowerKVM iteration 2edb74537d44 reads `index == vdev->msix_bar && !(pdev->bus->bus_flags &
    /// PCI_BUS_FLAGS_MSI_REMAP)`. Reconstructed: the v4 diff itself was not found; the overlap test
    /// is taken to be the legacy one, in the same widths (a guess).
    public static func msixTableExcludedUnlessFiltered<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.implies(l.and(s.msix.present, l.equal(s.bar.index, s.msix.tableBIR), l.not(s.platform.msiIsolated)),
                  l.not(s.requestOverlapsTable(l)))
    }
}
