import PCIModel

/// Identifies a node of the resource tree (nodes are compared without their children).
struct NodeKey: Hashable, Sendable {
    var start: UInt64
    var end: UInt64
    var name: String
    var line: Int?

    init(_ node: ResourceTree.Node) {
        start = node.start
        end = node.end
        name = node.name
        line = node.line
    }
}

/// A memory or I/O resource of the machine, with what the rules need to know about it.
struct PlacedResource: Hashable, Sendable {
    /// The function it belongs to; nil for a platform node of the iomem tree.
    var owner: PCIAddress?
    var label: String
    /// vfio region index: 0-5 BARs, 6 ROM, 7-12 VF BARs; 255 for platform nodes.
    var index: Int
    var kind: String
    var prefetchable: Bool
    var isMemory: Bool
    var fixed: Bool
    var claimed: Bool
    var start: UInt64
    var end: UInt64
    /// The iomem node holding it (`res->parent`); nil for `iomem_resource`.
    var parent: NodeKey?

    var size: UInt64 { end - start + 1 }
    var range: ClosedRange<UInt64> { start...end }

    /// The BARs, ROMs and VF BARs of every function, memory and I/O, that the kernel placed.
    /// A ROM or VF BAR that is not claimed is left out: `pci_enable_resources` does not require it
    /// (a ROM only when enabled), and a resource outside the tree cannot collide with a reservation.
    static func all(in host: HostInventory, tree: IOMemIndex) -> [PlacedResource] {
        let hidden = tree.hidden
        var out: [PlacedResource] = []
        for device in host.devices {
            var resources: [(BAR, String, Int)] = device.bars.map { ($0, "BAR \($0.index)", $0.index) }
            if let rom = device.rom { resources.append((rom, "ROM", BAR.romIndex)) }
            resources += device.sriovBARs.map { ($0, "VF BAR \($0.index)", 7 + $0.index) }
            for (bar, name, index) in resources {
                guard let range = bar.resource.range, bar.kind != .none || index == BAR.romIndex else { continue }
                let memory = bar.resource.isMemory
                let inTree: Bool = memory ? (hidden || tree.path(to: range) != nil) : true
                let claimed = !bar.resource.isUnset && inTree
                if index > 5, !claimed { continue }
                let flags = bar.resource.flags
                // The kernel names a BAR's iomem node after its function (`pci_name`). Look the node
                // up by that name when it is there: a BAR can fill its window exactly, and by range
                // alone the window would be taken for the BAR and its own parent for the parent.
                let nodeName = device.address.description
                let node: String? = memory && !hidden && tree.path(to: range, named: nodeName) != nil ? nodeName : nil
                out.append(PlacedResource(
                    owner: device.address, label: "\(device.address) \(name)", index: index,
                    kind: bar.kind.rawValue, prefetchable: bar.prefetchable, isMemory: memory,
                    fixed: flags.contains(.pciFixed) || flags.contains(.pciEABEI), claimed: claimed,
                    start: range.lowerBound, end: range.upperBound,
                    parent: memory && !hidden ? tree.parent(of: range, named: node) : nil))
            }
        }
        return out
    }
}

/// Every placed resource of a host and its iomem tree, indexed once per audit: by owner, and by
/// address, so that each BAR meets only the resources on its own pages. What the per-BAR search
/// reads of each resource is kept in flat arrays (no strings), so that a page shared by thousands
/// of resources costs a few comparisons per resource.
struct HostResources {
    let placed: [PlacedResource]
    let tree: IOMemIndex
    /// Positions in ``placed`` by owning function, in file order.
    private let byOwner: [PCIAddress: [Int]]

    /// What the search reads of a memory resource of a function, or of an iomem node.
    private struct Facts {
        var start: UInt64
        var end: UInt64
        /// ``placed`` position, or iomem entry id.
        var position: Int
        /// The owning function's number in `owners`, -1 for iomem nodes.
        var owner: Int
        /// The parent node's number in `parents`, -1 for none.
        var parent: Int
        var claimed: Bool
        /// 0 a BAR of a function, 1 a ROM or VF BAR, 2 a platform node.
        var kind: Int
    }

    /// Memory resources of functions, sorted by start then label, and their interval index.
    private let memory: [Facts]
    private let memoryIndex: IntervalIndex
    /// Per iomem entry: its facts, and whether the platform search stops at it (it is a PCI
    /// resource, listed as that resource, or spans all 2^64 addresses).
    private let entryFacts: [Facts]
    private let entryStops: [Bool]
    private let owners: [PCIAddress: Int]
    private let parents: [NodeKey: Int]

    init(_ host: HostInventory) {
        tree = IOMemIndex(host.iomem)
        let placed = PlacedResource.all(in: host, tree: tree)
        self.placed = placed
        var byOwner: [PCIAddress: [Int]] = [:]
        var owners: [PCIAddress: Int] = [:]
        for (i, r) in placed.enumerated() {
            guard let owner = r.owner else { continue }
            byOwner[owner, default: []].append(i)
            if owners[owner] == nil { owners[owner] = owners.count }
        }
        self.byOwner = byOwner
        self.owners = owners
        var parents: [NodeKey: Int] = [:]
        func parentNumber(_ key: NodeKey?) -> Int {
            guard let key else { return -1 }
            if let n = parents[key] { return n }
            parents[key] = parents.count
            return parents.count - 1
        }
        let order = placed.indices.filter { placed[$0].isMemory }
            .sorted { (placed[$0].start, placed[$0].label, $0) < (placed[$1].start, placed[$1].label, $1) }
        memory = order.map { i in
            let r = placed[i]
            return Facts(start: r.start, end: r.end, position: i, owner: r.owner.flatMap { owners[$0] } ?? -1,
                         parent: parentNumber(r.parent), claimed: r.claimed, kind: r.index <= 5 ? 0 : 1)
        }
        memoryIndex = IntervalIndex(sortedByStart: memory.map { $0.start...$0.end })
        let pciRanges = Set(placed.map(\.range))
        let entries = tree.entries
        entryFacts = entries.indices.map { id in
            Facts(start: entries[id].node.start, end: entries[id].node.end, position: id, owner: -1,
                  parent: parentNumber(entries[id].parent.map { entries[$0].key }), claimed: true, kind: 2)
        }
        let own = Self.ownReservations(entries: entries, placed: placed)
        ownReservations = own
        let ownIDs = Set(own.map(\.entry))
        entryStops = entries.indices.map { id in
            let node = entries[id].node
            return ownIDs.contains(id) || pciRanges.contains(node.range) || (node.start == 0 && node.end == .max)
        }
        self.parents = parents
    }

    /// The name `vfio_pci_probe_mmaps` gives the dummy resource it requests after a sub-page BAR.
    static let subpageReservationName = "vfio sub-page reserved"

    /// A `vfio sub-page reserved` node of the tree that is the reservation vfio-pci itself made for
    /// a BAR of a function it has open, and so that function's own.
    struct OwnReservation: Hashable, Sendable {
        /// The iomem entry.
        var entry: Int
        var owner: PCIAddress
        var barIndex: Int
        var start: UInt64
        var end: UInt64
        /// The page size the reservation was made with, which is the running kernel's.
        var pageSize: UInt64
    }

    /// The own reservations found when the index was built (``ownReservations(entries:placed:)``).
    let ownReservations: [OwnReservation]

    /// The `vfio sub-page reserved` nodes that vfio-pci requested for a function's BAR: while a
    /// device is open, `vfio_pci_probe_mmaps` (drivers/vfio/pci/vfio_pci.c from 4.8, vfio_pci_core.c
    /// from 5.15; read in 4.9.0 and 6.18.2) requests, for each memory BAR smaller than a page that
    /// starts on a page, `[res->end + 1, res->start + PAGE_SIZE - 1]` under `res->parent`, and
    /// `vfio_pci_core_disable` releases it on close. Seen by `request_resource`, that node is the
    /// device's own rest of the page, not a foreign resource: no register lies there, and the next
    /// open requests it afresh. A node is taken for BAR `r` of a function exactly when its name is
    /// that name, it sits under `r`'s parent, it starts at `r.end + 1`, and it ends at
    /// `r.start + P - 1` for a power of two `P` of at least 4 KiB larger than `r` that aligns
    /// `r.start` (the kernel's `PAGE_SIZE`, which may differ from the page size audited). Any other
    /// node of that name (another device's reservation, or one with another shape) stays a
    /// platform resource, as it is to the kernel. The BAR's own region requests (`vfio-pci` from
    /// the mmap path, `vfio` from the read/write path: `pci_request_selected_regions`) are children
    /// of the BAR's node and already count as the BAR's.
    static func ownReservations(entries: [IOMemIndex.Entry], placed: [PlacedResource]) -> [OwnReservation] {
        var barsByEnd: [UInt64: [PlacedResource]] = [:]
        for r in placed where r.isMemory && r.index <= 5 && r.owner != nil && r.end < .max {
            barsByEnd[r.end + 1, default: []].append(r)
        }
        var out: [OwnReservation] = []
        for (id, entry) in entries.enumerated() where entry.node.name == subpageReservationName {
            guard let parent = entry.parent else { continue }
            let parentKey = entries[parent].key
            for r in barsByEnd[entry.node.start] ?? [] where r.parent == parentKey {
                let (span, overflow) = (entry.node.end - r.start).addingReportingOverflow(1)
                guard !overflow, span >= 4096, span & (span - 1) == 0, r.start % span == 0, r.size < span,
                      let owner = r.owner else { continue }
                out.append(OwnReservation(entry: id, owner: owner, barIndex: r.index, start: entry.node.start,
                                          end: entry.node.end, pageSize: span))
                break
            }
        }
        return out
    }

    /// The function's resources.
    func resources(of owner: PCIAddress) -> [PlacedResource] { (byOwner[owner] ?? []).map { placed[$0] } }

    /// The iomem node `id` as a foreign resource.
    private func platformResource(_ id: Int) -> PlacedResource {
        let entry = tree.entries[id]
        return PlacedResource(
            owner: nil, label: "iomem \"\(entry.node.name)\"", index: 255, kind: "platform", prefetchable: false,
            isMemory: true, fixed: true, claimed: true, start: entry.node.start, end: entry.node.end,
            parent: entry.parent.map { tree.entries[$0].key })
    }

    /// The resources of other functions and of the platform that share a byte with `extent`:
    /// one representative of each combination of the facts the rules read (see
    /// ``HostAudit/mmapAssignment(_:device:resources:pageSize:offset:length:allowUnsafeInterrupts:backend:listLimit:)``),
    /// the first `listLimit` of those on `exposed` by address then owner, and how many are on `exposed`.
    ///
    /// Platform resources are the nodes of the iomem tree that are no function's BAR, ROM or VF BAR:
    /// sibling bridge windows, platform devices, RAM. A node that is a PCI resource is skipped with
    /// everything under it (the resource itself is listed); a node that holds the target is
    /// descended into; a node spanning all 2^64 addresses is skipped with everything under it.
    func foreign(of target: PlacedResource, extent: ClosedRange<UInt64>, exposed: (first: UInt64, last: UInt64),
                 dummy: (first: UInt64, last: UInt64), listLimit: Int)
        -> (representatives: [PlacedResource], listed: [ForeignResource], count: Int) {
        let targetOwner = target.owner.flatMap { owners[$0] } ?? -2
        let targetParent = target.parent.flatMap { parents[$0] } ?? -1
        var seen: UInt64 = 0
        var representatives: [PlacedResource] = []
        var count = 0
        var listedFunctions: [PlacedResource] = [], listedPlatform: [PlacedResource] = []
        func consider(_ f: Facts) {
            let onExposed = exposed.first <= f.end && f.start <= exposed.last
            let onDummy = dummy.first <= f.end && f.start <= dummy.last
            let combination = (onExposed ? 1 : 0) | (onDummy ? 2 : 0) | (f.parent == targetParent ? 4 : 0)
                | (f.claimed ? 8 : 0) | f.kind << 4
            let new = seen & 1 << combination == 0
            let listed = onExposed && (f.kind == 2 ? listedPlatform : listedFunctions).count < listLimit
            if onExposed { count += 1 }
            guard new || listed else { return }
            let resource = f.kind == 2 ? platformResource(f.position) : placed[f.position]
            if new {
                seen |= 1 << combination
                representatives.append(resource)
            }
            if listed {
                if f.kind == 2 { listedPlatform.append(resource) } else { listedFunctions.append(resource) }
            }
        }
        memoryIndex.forEachOverlapping(extent) { i in
            if memory[i].owner != targetOwner { consider(memory[i]) }
        }
        if !tree.hidden {
            func passable(_ id: Int) -> Bool { !entryStops[id] && entryFacts[id].start <= extent.upperBound && extent.lowerBound <= entryFacts[id].end }
            func holdsTarget(_ id: Int) -> Bool { entryFacts[id].start <= target.start && target.end <= entryFacts[id].end }
            tree.forEachOverlapping(extent) { id in
                guard passable(id), !holdsTarget(id) else { return }
                // Reached only through ancestors that hold the target (each descended into).
                var ancestor = tree.entries[id].parent
                while let a = ancestor {
                    guard passable(a), holdsTarget(a) else { return }
                    ancestor = tree.entries[a].parent
                }
                consider(entryFacts[id])
            }
        }
        // Each source is visited by address, then label: its first `listLimit` hold the first of all.
        let listed = (listedFunctions + listedPlatform)
            .map { ForeignResource(owner: $0.label, start: $0.start, end: $0.end) }
            .sorted { ($0.start, $0.owner) < ($1.start, $1.owner) }
        return (representatives, Array(listed.prefix(listLimit)), count)
    }
}
