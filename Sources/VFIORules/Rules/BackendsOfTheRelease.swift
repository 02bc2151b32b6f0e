extension Rules {
    /// Before 6.2 there is no iommufd: a device cannot be opened through it, so nothing is granted
    /// through it. (drivers/iommu/iommufd is absent in 6.1.20 and present in 6.3.8.)
    public static func noIOMMUFD<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.not(s.platform.iommufd)
    }

    /// Before 4.5 there is no vfio no-IOMMU mode (no `noiommu` in drivers/vfio/vfio.c 4.4.121; present
    /// in 4.6.2).
    public static func noNoIOMMU<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth {
        l.not(s.platform.noiommu)
    }
}
