extension Rules {
    /// The legacy and RFC-era attach check as those policies state it: a group attaches to
    /// vfio_iommu_type1 only when the device's MSIs are filtered or `allow_unsafe_interrupts` is
    /// set. The kernel's own pre-6.3 predicates ask the bus, the irq domains or the group instead
    /// of the device (``attachBusIntrRemap(_:_:)``, ``attachMSIRemap(_:_:)``,
    /// ``attachGroupMSIRemap(_:_:)``); the release presets use those. spapr (`tce_iommu_attach_group`)
    /// and noiommu (`vfio_noiommu_attach_group`) make no MSI test (read in 6.18.2).
    public static func attachInterruptRemapping<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        return l.implies(p.type1, l.or(p.msiIsolated, p.allowUnsafeInterrupts))
    }

    /// 3.x-4.10: `vfio_iommu_type1_attach_group`: `if (!allow_unsafe_interrupts &&
    /// !iommu_capable(bus, IOMMU_CAP_INTR_REMAP)) { ... ret = -EPERM; }` (drivers/vfio/vfio_iommu_type1.c,
    /// read in 4.4.121, 4.6.2 and 4.9.0). The bus's IOMMU answers, not the device: ARM SMMU
    /// reported INTR_REMAP unconditionally in those releases.
    public static func attachBusIntrRemap<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        return l.implies(p.type1, l.or(p[.busIntrRemap], p.allowUnsafeInterrupts))
    }

    /// 4.11-5.18: `msi_remap = irq_domain_check_msi_remap() || iommu_capable(bus, IOMMU_CAP_INTR_REMAP);
    /// if (!allow_unsafe_interrupts && !msi_remap) ... -EPERM` (read in 4.15.0 and 5.4.273; the form
    /// came with "vfio/type1: Check MSI remapping at irq domain level", 4.11, release not read).
    /// `irq_domain_check_msi_remap` (kernel/irq/irqdomain.c, read in 4.15.0): "false if any MSI irq
    /// domain does not support IRQ remapping, true otherwise (including if there is no MSI irq domain)".
    public static func attachMSIRemap<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        return l.implies(p.type1, l.or(domainsCheck(p, l), p[.busIntrRemap], p.allowUnsafeInterrupts))
    }

    /// 5.19-6.2: `msi_remap = irq_domain_check_msi_remap() || iommu_group_for_each_dev(iommu_group,
    /// (void *)IOMMU_CAP_INTR_REMAP, vfio_iommu_device_capable);` (read in 6.1.20; the bus query
    /// gave way to per-device `device_iommu_capable` in 5.19, release not read). The walk stops at
    /// the first device that answers yes (`__iommu_group_for_each_dev`, drivers/iommu/iommu.c 6.1.20),
    /// so one capable device of the group suffices.
    public static func attachGroupMSIRemap<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        return l.implies(p.type1, l.or(domainsCheck(p, l), p[.groupIntrRemap], p.allowUnsafeInterrupts))
    }

    /// `irq_domain_check_msi_remap()`: no MSI irq domain registered, or all of them remap.
    static func domainsCheck<L: Logic>(_ p: PlatformTerms<L>, _ l: L) -> L.Truth {
        l.or(l.not(p[.msiDomainPresent]), p[.msiDomainsRemap])
    }

    /// 6.3+: type1 requires `iommu_group_has_isolated_msi()` and iommufd the same test of the
    /// group, each unless its own `allow_unsafe_interrupts` is set.
    /// `vfio_iommu_type1_attach_group`: `if (!allow_unsafe_interrupts && !iommu_group_has_isolated_msi(iommu_group))`
    /// (read in 6.3.8 and 6.18.2); iommufd: `iommufd_device_setup_msi` at attach (6.3.8),
    /// `iommufd_device_bind` at bind (6.6.9, 6.18.2). `iommu_group_has_isolated_msi` is the AND of
    /// `msi_device_has_isolated_msi` over the group, so the device's own isolation is implied by
    /// it: requiring only the device's (``PlatformTerms/msiIsolated``) grants at least as much as
    /// the kernel, which is sound for proofs. barproof models both module parameters as one fact.
    public static func attachIsolatedMSI<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        let isolatedOrUnsafe = l.or(p.msiIsolated, p.allowUnsafeInterrupts)
        return l.and(l.implies(p.type1, isolatedOrUnsafe), l.implies(p.iommufd, isolatedOrUnsafe))
    }
}
