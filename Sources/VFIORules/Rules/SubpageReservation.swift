extension Rules {
    /// A sub-page BAR maps only if the rest of its page can be reserved.
    ///
    /// `vfio_pci_probe_mmaps` (05f0c03fbac1, 4.8+) builds the dummy resource "vfio sub-page
    /// reserved" `[res->end + 1, res->start + PAGE_SIZE - 1]` and calls
    /// `request_resource(res->parent, dummy)`, which fails when the dummy is not inside the
    /// parent or overlaps any child of it (kernel/resource.c `__request_resource`: `if (start <
    /// root->start) ... if (end > root->end) ...` then a conflict with any child, read in 4.9.0).
    /// A conflict sends the BAR to `no_mmap`.
    /// The dummy stays in the tree until close, so a device hot-added later cannot be placed there.
    public static func subpageReservation<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let dummy = s.subpageReservation(l)
        let insideParent = l.contains(l.span(s.parent), dummy)
        let clear = s.neighbours.map { n in
            l.implies(l.and(n.inParent, n.bar.claimed), l.not(l.overlaps(dummy, l.span(n.bar.resource))))
        }
        return l.implies(s.isSubpage(l), l.and([insideParent] + clear))
    }
}
