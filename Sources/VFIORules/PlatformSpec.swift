import PCIModel

/// The platform a check runs on, as a spec states it: each fact fixed, or left open (nil /
/// several values) so the proof covers every choice.
public struct PlatformSpec: Hashable, Sendable, Codable {
    /// Page sizes to cover; one fixes `PAGE_SIZE` for the query.
    public var pageSizes: [PageSize]
    /// Whether the device's MSIs are filtered (isolated MSI / interrupt remapping); nil: either.
    public var msiIsolated: Bool?
    /// `allow_unsafe_interrupts`; nil: either.
    public var allowUnsafeInterrupts: Bool?
    /// Backends to cover.
    public var backends: [Backend]
    /// Firmware-fixed / Enhanced Allocation resources may be placed unaligned.
    public var unalignedFixedResources: Bool
    /// The host facts the spec fixes (``HostFact`` raw names); the others are open. Nil when it
    /// fixes none, so a spec that says nothing of them has the same canonical form as before they existed.
    public var hostFacts: [String: Bool]?

    public init(pageSizes: [PageSize] = PageSize.common, msiIsolated: Bool? = nil, allowUnsafeInterrupts: Bool? = nil,
                backends: [Backend] = Backend.allCases, unalignedFixedResources: Bool = false,
                hostFacts: [HostFact: Bool] = [:]) {
        self.pageSizes = pageSizes.sorted()
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.backends = Backend.allCases.filter(backends.contains)
        self.unalignedFixedResources = unalignedFixedResources
        self.hostFacts = hostFacts.isEmpty ? nil : Dictionary(uniqueKeysWithValues: hostFacts.map { ($0.key.rawValue, $0.value) })
    }

    /// The value the spec fixes for `fact`, or nil when it is open.
    public func value(of fact: HostFact) -> Bool? { hostFacts?[fact.rawValue] }

    /// Every platform the model knows: 4/16/64 KiB pages, any isolation, any backend, aligned resources.
    public static let any = PlatformSpec()

    /// The fixed page shift when the spec names one page size.
    public var fixedPageShift: Int? { pageSizes.count == 1 ? pageSizes[0].shift : nil }

    /// The platform terms satisfy this spec.
    public func constrains<L: Logic>(_ p: PlatformTerms<L>, _ l: L) -> L.Truth {
        var facts: [L.Truth] = []
        facts.append(l.or(pageSizes.map { l.equal(p.pageSize, l.word($0.rawValue)) }))
        if let msiIsolated { facts.append(msiIsolated ? p.msiIsolated : l.not(p.msiIsolated)) }
        if let allowUnsafeInterrupts {
            facts.append(allowUnsafeInterrupts ? p.allowUnsafeInterrupts : l.not(p.allowUnsafeInterrupts))
        }
        let terms: [(Backend, L.Truth)] = [(.type1, p.type1), (.iommufd, p.iommufd), (.spapr, p.spapr), (.noiommu, p.noiommu)]
        for (backend, term) in terms where !backends.contains(backend) { facts.append(l.not(term)) }
        facts.append(unalignedFixedResources ? p.unalignedFixedAllowed : l.not(p.unalignedFixedAllowed))
        for fact in HostFact.allCases {
            if let value = value(of: fact) { facts.append(value ? p[fact] : l.not(p[fact])) }
        }
        return l.and(facts)
    }

    /// One line for reports, e.g. `64 KiB pages, MSIs not isolated, type1|iommufd`.
    public var label: String {
        var parts = [pageSizes.map(\.description).joined(separator: "|") + " pages"]
        if let msiIsolated { parts.append(msiIsolated ? "MSIs isolated" : "MSIs not isolated") }
        if let allowUnsafeInterrupts { parts.append("allow_unsafe_interrupts=\(allowUnsafeInterrupts ? 1 : 0)") }
        if backends.count < Backend.allCases.count { parts.append(backends.map(\.rawValue).joined(separator: "|")) }
        if unalignedFixedResources { parts.append("unaligned fixed/EA allowed") }
        parts += HostFact.allCases.compactMap { fact in value(of: fact).map { fact.text($0) } }
        return parts.joined(separator: ", ")
    }
}
