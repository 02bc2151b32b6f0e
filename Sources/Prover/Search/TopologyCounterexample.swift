import PCIModel
import VFIORules

/// One BAR of one function of a ``Topology``.
public struct BARReference: Hashable, Sendable, Codable, CustomStringConvertible {
    public var function: PCIAddress
    public var index: Int

    public init(function: PCIAddress, index: Int) {
        self.function = function
        self.index = index
    }

    public var description: String { "\(function) BAR \(index)" }
}

/// The platform facts a counterexample was found under, all fixed.
public struct PlatformFacts: Hashable, Sendable, Codable {
    public var pageSize: UInt64
    public var msiIsolated: Bool
    public var allowUnsafeInterrupts: Bool
    public var backend: Backend
    public var unalignedFixedResources: Bool
    /// The host facts the policy reads (``HostFact``), by their raw names; nil when it reads none.
    public var hostFacts: [String: Bool]?

    public init(pageSize: UInt64, msiIsolated: Bool, allowUnsafeInterrupts: Bool, backend: Backend,
                unalignedFixedResources: Bool, hostFacts: [String: Bool]? = nil) {
        self.pageSize = pageSize
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.backend = backend
        self.unalignedFixedResources = unalignedFixedResources
        self.hostFacts = hostFacts?.isEmpty == true ? nil : hostFacts
    }

    /// The value of `fact`: as recorded, or the one that grants the most when the policy did not read it.
    public func value(of fact: HostFact) -> Bool { hostFacts?[fact.rawValue] ?? fact.permissive }

    /// Every host fact's value (``value(of:)``), as the audit and the replay take them.
    public var hostFactValues: [HostFact: Bool] {
        Dictionary(uniqueKeysWithValues: HostFact.allCases.map { ($0, value(of: $0)) })
    }

    /// The host facts in words, in catalogue order, e.g. `no MSI irq domain; not PCI_PROBE_ONLY`.
    public var hostFactsText: String? {
        guard let hostFacts else { return nil }
        return HostFact.allCases.compactMap { f in hostFacts[f.rawValue].map { f.text($0) } }.joined(separator: "; ")
    }

    enum CodingKeys: String, CodingKey {
        case backend
        case pageSize = "page_size"
        case msiIsolated = "msi_isolated"
        case allowUnsafeInterrupts = "allow_unsafe_interrupts"
        case unalignedFixedResources = "unaligned_fixed_resources"
        case hostFacts = "host_facts"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pageSize = try c.decode(HexWord.self, forKey: .pageSize).value
        msiIsolated = try c.decode(Bool.self, forKey: .msiIsolated)
        allowUnsafeInterrupts = try c.decode(Bool.self, forKey: .allowUnsafeInterrupts)
        backend = try c.decode(Backend.self, forKey: .backend)
        unalignedFixedResources = try c.decode(Bool.self, forKey: .unalignedFixedResources)
        hostFacts = try c.decodeIfPresent([String: Bool].self, forKey: .hostFacts)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(HexWord(pageSize), forKey: .pageSize)
        try c.encode(msiIsolated, forKey: .msiIsolated)
        try c.encode(allowUnsafeInterrupts, forKey: .allowUnsafeInterrupts)
        try c.encode(backend, forKey: .backend)
        try c.encode(unalignedFixedResources, forKey: .unalignedFixedResources)
        try c.encodeIfPresent(hostFacts, forKey: .hostFacts)
    }
}

/// What went wrong in a counterexample, coarsely: two counterexamples with the same view are
/// near-duplicates, and `search --max N` returns counterexamples with pairwise different views.
public struct CounterexampleView: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The policy clause through which the exposing mmap was granted: the sub-page path
    /// (`subpage-start-aligned` / `subpage-reservation`) for a BAR smaller than a page, otherwise
    /// the clause bounding the request (`request-within-rounded-bar` / `request-within-bar`), or
    /// the MSI-X clause for a table exposure. A clause id such as `mainline.subpage-start-aligned`.
    public var clause: String
    /// What the exposed bytes belong to, e.g. `mem32 BAR of a sibling device`, `the device's own
    /// MSI-X table`, `bytes past the BAR`.
    public var foreignKind: String
    /// Where the trouble sits in the page, e.g. `page-aligned BAR, foreign bytes after it`.
    public var pageOffsetClass: String

    public init(clause: String, foreignKind: String, pageOffsetClass: String) {
        self.clause = clause
        self.foreignKind = foreignKind
        self.pageOffsetClass = pageOffsetClass
    }

    public var description: String { "\(clause) / \(foreignKind) / \(pageOffsetClass)" }

    enum CodingKeys: String, CodingKey {
        case clause
        case foreignKind = "foreign_kind"
        case pageOffsetClass = "page_offset_class"
    }
}

/// A concrete machine on which a policy grants an mmap that breaks an invariant: the topology,
/// the mmapped BAR, the request, what it exposes and, for `page-exclusive`, the foreign BAR.
/// Re-checked with the ``Concrete`` rules before it is returned.
public struct TopologyCounterexample: Hashable, Sendable, Codable {
    public var topology: Topology
    public var invariant: Invariant
    /// The policy label, e.g. `mainline - subpage-reservation`.
    public var policy: String
    /// The policy's name and the clauses added to and removed from it, so the policy can be rebuilt.
    public var policyName: String
    public var removedClauses: [String]
    /// Catalogue clauses added to the policy; nil when none were (and so absent from documents).
    public var addedClauses: [String]?
    public var platform: PlatformFacts
    /// The BAR userspace mmaps (through `VFIO_DEVICE_GET_REGION_INFO` and `mmap` of the device fd).
    public var target: BARReference
    /// `pgoff << PAGE_SHIFT` relative to the region, and the mapping length.
    public var requestOffset: UInt64
    public var requestLength: UInt64
    /// The physical bytes the mapping exposes (inclusive).
    public var exposed: Topology.Window
    /// The other device's BAR whose bytes are exposed (`page-exclusive`); nil otherwise.
    public var foreign: BARReference?
    /// The policy clauses that all held, granting the mmap.
    public var allowedBy: [String]
    public var view: CounterexampleView

    public init(topology: Topology, invariant: Invariant, policy: Policy, platform: PlatformFacts, target: BARReference,
                requestOffset: UInt64, requestLength: UInt64, exposed: Topology.Window, foreign: BARReference?,
                view: CounterexampleView) {
        self.topology = topology
        self.invariant = invariant
        self.policy = policy.label
        self.policyName = policy.name
        self.removedClauses = policy.removed
        self.addedClauses = policy.added.isEmpty ? nil : policy.added
        self.platform = platform
        self.target = target
        self.requestOffset = requestOffset
        self.requestLength = requestLength
        self.exposed = exposed
        self.foreign = foreign
        self.allowedBy = policy.clauses.map(\.id)
        self.view = view
    }

    /// Every field as given, for readers of older documents that spelled them differently.
    public init(topology: Topology, invariant: Invariant, policy: String, policyName: String, removedClauses: [String],
                addedClauses: [String]?, platform: PlatformFacts, target: BARReference, requestOffset: UInt64,
                requestLength: UInt64, exposed: Topology.Window, foreign: BARReference?, allowedBy: [String],
                view: CounterexampleView) {
        self.topology = topology
        self.invariant = invariant
        self.policy = policy
        self.policyName = policyName
        self.removedClauses = removedClauses
        self.addedClauses = addedClauses
        self.platform = platform
        self.target = target
        self.requestOffset = requestOffset
        self.requestLength = requestLength
        self.exposed = exposed
        self.foreign = foreign
        self.allowedBy = allowedBy
        self.view = view
    }

    /// The policy this counterexample was found under.
    public func rebuiltPolicy() throws -> Policy {
        guard let base = Policy.named(policyName) else { throw ProverError("unknown policy \(policyName)") }
        let added = try (addedClauses ?? []).map { name in
            guard let rule = Rule(rawValue: name) else { throw ProverError("unknown clause \(name)") }
            return rule
        }
        do { return try base.adding(added).removing(removedClauses) } catch { throw ProverError(error.description) }
    }

    // The Codable form (docs/formats/topology.md): snake_case keys; the request's offset and
    // length as HexWord strings, like every address and size in the topology.
    enum CodingKeys: String, CodingKey {
        case topology, invariant, policy, platform, target, exposed, foreign, view
        case policyName = "policy_name"
        case removedClauses = "removed_clauses"
        case addedClauses = "added_clauses"
        case requestOffset = "request_offset"
        case requestLength = "request_length"
        case allowedBy = "allowed_by"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topology = try c.decode(Topology.self, forKey: .topology)
        invariant = try c.decode(Invariant.self, forKey: .invariant)
        policy = try c.decode(String.self, forKey: .policy)
        policyName = try c.decode(String.self, forKey: .policyName)
        removedClauses = try c.decode([String].self, forKey: .removedClauses)
        addedClauses = try c.decodeIfPresent([String].self, forKey: .addedClauses)
        platform = try c.decode(PlatformFacts.self, forKey: .platform)
        target = try c.decode(BARReference.self, forKey: .target)
        requestOffset = try c.decode(HexWord.self, forKey: .requestOffset).value
        requestLength = try c.decode(HexWord.self, forKey: .requestLength).value
        exposed = try c.decode(Topology.Window.self, forKey: .exposed)
        foreign = try c.decodeIfPresent(BARReference.self, forKey: .foreign)
        allowedBy = try c.decode([String].self, forKey: .allowedBy)
        view = try c.decode(CounterexampleView.self, forKey: .view)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(topology, forKey: .topology)
        try c.encode(invariant, forKey: .invariant)
        try c.encode(policy, forKey: .policy)
        try c.encode(policyName, forKey: .policyName)
        try c.encode(removedClauses, forKey: .removedClauses)
        try c.encodeIfPresent(addedClauses, forKey: .addedClauses)
        try c.encode(platform, forKey: .platform)
        try c.encode(target, forKey: .target)
        try c.encode(HexWord(requestOffset), forKey: .requestOffset)
        try c.encode(HexWord(requestLength), forKey: .requestLength)
        try c.encode(exposed, forKey: .exposed)
        try c.encodeIfPresent(foreign, forKey: .foreign)
        try c.encode(allowedBy, forKey: .allowedBy)
        try c.encode(view, forKey: .view)
    }

    /// The platform's page size, nil when it is not one (``PageSize``: a power of two from 4 KiB).
    public var page: PageSize? { PageSize(rawValue: platform.pageSize) }

    /// The request maps the whole BAR (offset 0, the page-rounded length), as `barproof audit` assumes.
    public var mapsWholeBAR: Bool {
        guard let bar = topology.function(target.function)?.bar(target.index),
              let page = PageSize(rawValue: topology.pageSize) else { return false }
        return requestOffset == 0 && requestLength == page.pageUp(bar.size)
    }
}

extension TopologyCounterexample {
    /// The exposed pages that show the violation, each as a ``PageMap`` (the renderer the audit
    /// uses): for `page-exclusive` the pages holding another function's memory BAR, for
    /// `msix-needs-filtering` those holding the MSI-X table (and the PBA beside it), for
    /// `mmap-within-bar` those past the page-rounded BAR; on each, every other function's memory
    /// BAR there is listed too. At most `limit` pages, then a line saying how many more.
    public func pageMap(limit: Int = 8) -> [String] {
        let t = topology
        guard let page, let function = t.function(target.function), let bar = function.bar(target.index) else { return [] }
        let size = page.rawValue
        var others: [PageMap.Resource] = []
        for f in t.functions.sorted(by: { $0.address < $1.address }) where f.address != target.function {
            for b in f.bars where b.kind.isMemory && b.size > 0 {
                let role = foreign.map { $0.function == f.address && $0.index == b.index } == true ? " (foreign)" : ""
                others.append(.init(label: "\(f.address) BAR \(b.index)\(role)", start: b.start, end: b.end))
            }
        }
        // The resources whose pages are shown, and the rest listed where they share those pages.
        var shown: [PageMap.Resource] = [], listed = others
        let title: String
        switch invariant {
        case .pageExclusive:
            shown = others
            title = "is shared with:"
        case .msixNeedsFiltering:
            func resource(_ what: String, pba: Bool) -> [PageMap.Resource] {
                function.msixBytes(pba: pba, in: bar).map { [.init(label: "\(what) of \(target)", start: $0.start, end: $0.end)] } ?? []
            }
            shown = resource("MSI-X table", pba: false)
            listed = shown + resource("MSI-X PBA", pba: true) + others
            title = "holds the MSI-X table:"
        case .mmapWithinBAR:
            let first = page.pageDown(bar.start), last = page.pageDown(bar.end) &+ (size - 1)
            if exposed.start < first {
                shown.append(.init(label: "past the BAR's pages", start: exposed.start, end: min(exposed.end, first &- 1)))
            }
            if exposed.end > last, last < UInt64.max {
                shown.append(.init(label: "past the BAR's pages", start: max(exposed.start, last &+ 1), end: exposed.end))
            }
            listed = shown + others
            title = "lies outside the BAR's pages:"
        }
        let shared = PageMap.sharedPages(exposed: (exposed.start, exposed.end), size: size, resources: shown, limit: limit)
        var lines = shared.pages.flatMap { PageMap.lines(page: $0, size: size, bar: (bar.start, bar.end), resources: listed, title: title) }
        if shared.more { lines.append("... more pages") }
        return lines
    }
}
