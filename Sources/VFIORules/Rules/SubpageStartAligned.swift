extension Rules {
    /// A sub-page BAR maps only if it starts on a page boundary.
    /// `vfio_pci_probe_mmaps` (05f0c03fbac1, 4.8+): `if (!(res->start & ~PAGE_MASK)) { ... }`
    /// else `no_mmap` ("we can't expect the BAR will be assigned into the same location in a page in guest").
    public static func subpageStartAligned<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.implies(s.isSubpage(l), l.isPageAligned(s.bar.resource.start, s.platform))
    }
}
