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
    static func all(in host: HostInventory) -> [PlacedResource] {
        let tree = host.iomem
        let hidden = tree.hidesAddresses || tree.roots.isEmpty
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
                    parent: memory && !hidden ? tree.parent(of: range, named: node).map(NodeKey.init) : nil))
            }
        }
        return out
    }

    /// Nodes of the iomem tree that are no device's BAR, ROM or VF BAR and lie on `extent`, the
    /// pages of `target`: sibling bridge windows, platform devices, RAM. A node that is a PCI
    /// resource is skipped with everything under it (the resource itself is listed); a node that
    /// holds the target is descended into.
    static func platformNodes(near target: PlacedResource, extent: ClosedRange<UInt64>, iomem: ResourceTree,
                              pciRanges: Set<ClosedRange<UInt64>>) -> [PlacedResource] {
        var out: [PlacedResource] = []
        func visit(_ nodes: [ResourceTree.Node], parent: NodeKey?) {
            for node in nodes where node.overlaps(extent) && !pciRanges.contains(node.range) && !(node.start == 0 && node.end == .max) {
                if node.contains(target.range) {
                    visit(node.children, parent: NodeKey(node))
                } else {
                    out.append(PlacedResource(
                        owner: nil, label: "iomem \"\(node.name)\"", index: 255, kind: "platform", prefetchable: false,
                        isMemory: true, fixed: true, claimed: true, start: node.start, end: node.end, parent: parent))
                }
            }
        }
        if !iomem.hidesAddresses { visit(iomem.roots, parent: nil) }
        return out
    }
}
