extension Rules {
    /// Before 6.3 (legacy and RFC era): a group attaches to vfio_iommu_type1 only with interrupt
    /// remapping or `allow_unsafe_interrupts`.
    /// `vfio_iommu_type1_attach_group`: `if (!allow_unsafe_interrupts && !msi_remap) ... -EPERM`
    /// (≈4.11 ... 6.2 form read; the pre-4.11 `iommu_capable(bus, IOMMU_CAP_INTR_REMAP)` form is
    /// UNVERIFIED). spapr and noiommu perform no such check (UNVERIFIED, vfio-rules.md §2.4).
    public static func attachInterruptRemapping<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        return l.implies(p.type1, l.or(p.msiIsolated, p.allowUnsafeInterrupts))
    }

    /// 6.3+: type1 requires `iommu_group_has_isolated_msi()` and iommufd requires
    /// `msi_device_has_isolated_msi()`, each unless its `allow_unsafe_interrupts` is set.
    /// `vfio_iommu_type1_attach_group` (6b1a7a00427c), `iommufd_allow_unsafe_interrupts`
    /// (drivers/iommu/iommufd/device.c). spapr and noiommu: no check (UNVERIFIED).
    /// barproof models both module parameters as one platform fact.
    public static func attachIsolatedMSI<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        let p = s.platform
        let isolatedOrUnsafe = l.or(p.msiIsolated, p.allowUnsafeInterrupts)
        return l.and(l.implies(p.type1, isolatedOrUnsafe), l.implies(p.iommufd, isolatedOrUnsafe))
    }
}
