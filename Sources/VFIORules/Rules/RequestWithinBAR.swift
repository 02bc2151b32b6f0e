extension Rules {
    /// Legacy: the request ends within the BAR's exact length.
    /// `vfio_pci_mmap` (3.6 ... 4.7): `phys_len = pci_resource_len(pdev, index)`;
    /// `req_start + req_len > phys_len` is rejected.
    public static func requestWithinBAR<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.lessOrEqual(l.add(s.request.offset, s.request.length), s.bar.resource.size)
    }

    /// 4.8+: the request ends within the BAR's page-rounded length.
    /// `vfio_pci_mmap`/`vfio_pci_core_mmap`: `phys_len = PAGE_ALIGN(pci_resource_len(pdev, index))`;
    /// `req_start + req_len > phys_len` is rejected.
    public static func requestWithinRoundedBAR<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.lessOrEqual(l.add(s.request.offset, s.request.length), l.pageUp(s.bar.resource.size, s.platform))
    }
}
