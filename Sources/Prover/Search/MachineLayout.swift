import PCIModel
import VFIORules

public enum MachineLayout {
    /// Builds the machine whose every field comes from `word`/`truth` by name, with `target` the
    /// mmapped BAR. The platform and request variables have the pair model's names.
    public static func make<L: Logic>(_ l: L, bounds: SearchBounds, pageShift: Int, target: (device: Int, slot: Int) = (0, 0),
                                      word: (String) -> L.Word, truth: (String) -> L.Truth) -> MachineTerms<L> {
        let host = ResourceTerms<L>(start: word("host.start"), size: word("host.size"))
        let bridges = (0..<bounds.bridges).map { k in
            BridgeTerms<L>(present: truth("bridge\(k).present"),
                           window: ResourceTerms(start: word("bridge\(k).start"), size: word("bridge\(k).size")))
        }
        let devices = (0..<bounds.devices).map { d in
            DeviceTerms<L>(present: truth("d\(d).present"), upstream: word("d\(d).upstream"), slots: (0..<bounds.barsPerDevice).map { k in
                let p = "d\(d).bar\(k)"
                return SlotTerms<L>(implemented: truth("\(p).implemented"), index: word("\(p).index"), io: truth("\(p).io"),
                                    is64: truth("\(p).is64"), prefetchable: truth("\(p).prefetchable"), fixed: truth("\(p).fixed"),
                                    resource: ResourceTerms(start: word("\(p).start"), size: word("\(p).size")))
            })
        }
        let platform = SituationLayout.platform(l, pageShift: pageShift, word: word, truth: truth)
        let msix = SituationLayout.msix(l, word: word, truth: truth)
        func parent(_ device: DeviceTerms<L>) -> ResourceTerms<L> {
            MachineTerms.parentWindow(of: device, host: host, bridges: bridges, l)
        }
        func barTerms(_ s: SlotTerms<L>, memory: L.Truth) -> BARTerms<L> {
            BARTerms(index: s.index, isMemory: memory, fixed: s.fixed, claimed: l.yes, resource: s.resource)
        }
        let owner = devices[target.device]
        let bar = owner.slots[target.slot]
        var neighbours: [NeighbourTerms<L>] = []
        var sources: [(device: Int, slot: Int)?] = []
        for (d, device) in devices.enumerated() {
            let sameParent = l.equal(device.upstream, owner.upstream)
            for (k, slot) in device.slots.enumerated() where (d, k) != (target.device, target.slot) {
                let memory = l.and(device.present, slot.implemented, l.not(slot.io))
                neighbours.append(NeighbourTerms(bar: barTerms(slot, memory: memory), sameDevice: l.truth(d == target.device),
                                                 inParent: l.and(memory, sameParent)))
                sources.append((d, k))
            }
        }
        for b in bridges {
            let onRootBus = l.equal(owner.upstream, l.word(0))
            neighbours.append(NeighbourTerms(bar: BARTerms(index: l.word(0), isMemory: l.yes, fixed: l.no, claimed: l.yes,
                                                           resource: b.window),
                                             sameDevice: l.no, inParent: l.and(b.present, onRootBus)))
            sources.append(nil)
        }
        let situation = Situation(platform: platform, bar: barTerms(bar, memory: l.not(bar.io)), parent: parent(owner),
                                  request: RequestTerms(offset: word(SituationLayout.Name.mmapOffset), length: word(SituationLayout.Name.mmapLength)),
                                  msix: msix, neighbours: neighbours)
        return MachineTerms(bounds: bounds, host: host, devices: devices, bridges: bridges, target: target,
                            situation: situation, neighbourSources: sources)
    }
}
