extension Rules {
    /// Legacy: a BAR smaller than a page is never mmapped.
    /// `vfio_pci_mmap` (3.6 ... 4.7): `if (phys_len < PAGE_SIZE || req_start + req_len > phys_len) return -EINVAL;`
    /// and region info sets `VFIO_REGION_INFO_FLAG_MMAP` only when `info.size >= PAGE_SIZE`.
    public static func minimumPageSize<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.greaterOrEqual(s.bar.resource.size, s.platform.pageSize)
    }
}
