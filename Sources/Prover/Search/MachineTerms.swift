import PCIModel
import VFIORules

// # The bounded machine model of `barproof search`
//
// A machine of up to `devices` functions, each with up to `barsPerDevice` BAR slots, on the root
// bus or behind one of up to `bridges` PCI-PCI bridges. Every field is a variable; the allocator
// facts below say what any valid allocator may produce. The same generic construction builds the
// Z3 query (``Symbolic``) and re-checks a model (``Concrete``), as ``SituationLayout`` does for the
// pair model, so the two can never disagree about what a name means.
//
// The mmapped BAR is slot 0 of device 0. That loses nothing: devices are interchangeable up to
// their bus address (only `resource_alignment` tells them apart, and it is applied per device and
// upstream bridge wherever the device sits), and a device's slots are interchangeable because each
// slot carries its BAR index as a variable (the indices of a device's slots are a permutation of
// 0...5, a 64-bit BAR at index i leaving i + 1 unimplemented).
//
// MSI-X is modelled on the mmapped device only: another device's table is one of its BAR's bytes,
// which `page-exclusive` already forbids exposing.
//
// Deliberate simplifications (each makes the model's machines a subset of real ones, so a
// counterexample found is real): one level of bridges, no prefetchable bridge windows, no I/O
// windows, bus addresses equal CPU physical addresses, I/O BARs in a 64 KiB I/O space of their own,
// every BAR claimed in the resource tree. The last puts one kind of real machine out of reach: under
// PCI_PROBE_ONLY the 4.4 and 4.6 presets let an unclaimed BAR that overlaps another device's map,
// which the pair model finds and no bounds of this model can show (`MachineModelAgreementTests`).

/// One BAR slot of a device.
public struct SlotTerms<L: Logic> {
    public var implemented: L.Truth
    /// The BAR index, 0...5.
    public var index: L.Word
    public var io: L.Truth
    public var is64: L.Truth
    public var prefetchable: L.Truth
    public var fixed: L.Truth
    /// The resource: `pci_resource_start`, `pci_resource_len` (after any `resource_alignment` resize).
    public var resource: ResourceTerms<L>
}

public struct DeviceTerms<L: Logic> {
    public var present: L.Truth
    /// 0: the root bus; k + 1: behind bridge k.
    public var upstream: L.Word
    public var slots: [SlotTerms<L>]
}

public struct BridgeTerms<L: Logic> {
    public var present: L.Truth
    public var window: ResourceTerms<L>
}

/// The machine as terms, with the situation of the mmap of its target BAR.
public struct MachineTerms<L: Logic> {
    public var bounds: SearchBounds
    public var host: ResourceTerms<L>
    public var devices: [DeviceTerms<L>]
    public var bridges: [BridgeTerms<L>]
    /// The target's device and slot.
    public var target: (device: Int, slot: Int)
    /// The mmap of the target BAR, as the pair model's rules see it: every other slot and every
    /// bridge window is a neighbour.
    public var situation: Situation<L>
    /// For each neighbour of ``situation``: the device and slot it is, or nil for a bridge window.
    public var neighbourSources: [(device: Int, slot: Int)?]
}

extension MachineTerms {
    /// The parent window of device `d`: its upstream bridge's window, or the host window.
    public func parent(of d: Int, _ l: L) -> ResourceTerms<L> {
        Self.parentWindow(of: devices[d], host: host, bridges: bridges, l)
    }

    static func parentWindow(of device: DeviceTerms<L>, host: ResourceTerms<L>, bridges: [BridgeTerms<L>],
                             _ l: L) -> ResourceTerms<L> {
        var start = host.start, size = host.size
        for (k, b) in bridges.enumerated() {
            let here = l.equal(device.upstream, l.word(UInt64(k + 1)))
            start = l.ite(here, b.window.start, start)
            size = l.ite(here, b.window.size, size)
        }
        return ResourceTerms(start: start, size: size)
    }

    /// Slot `k` of device `d` is a placed memory BAR.
    public func isMemory(_ d: Int, _ k: Int, _ l: L) -> L.Truth {
        l.and(devices[d].present, devices[d].slots[k].implemented, l.not(devices[d].slots[k].io))
    }

    /// The `resource_alignment` each device slot gets on each upstream (0 root, k + 1 bridge k).
    func requestedAlignment(device d: Int, upstream u: Int) -> UInt64? {
        guard let parameter = bounds.resourceAlignment, let shift = situation.platform.pageShift,
              let page = PageSize(rawValue: 1 << UInt64(shift)) else { return nil }
        let identity = ResourceAlignmentParameter.DeviceIdentity(
            address: MachineNaming.functionAddress(slot: d, upstream: u), vendorID: MachineNaming.vendorID,
            deviceID: MachineNaming.deviceID(slot: d), upstreamBridges: u == 0 ? [] : [MachineNaming.bridgeAddress(u - 1)])
        return parameter.alignment(for: identity, pageSize: page)
    }

    /// What any valid allocator produces: windows and BARs inside their parents, siblings
    /// disjoint, natural alignment (but for fixed/EA BARs where the platform allows), 1 MiB bridge
    /// windows, 32-bit BARs below 4 GiB, distinct BAR indices with 64-bit BARs taking two, the
    /// `resource_alignment` resize, and a well-formed MSI-X capability pointing at implemented BARs.
    /// Plus symmetry breaking: devices, bridges and a device's slots are used in order.
    public func allocatorFacts(_ l: L) -> L.Truth {
        var facts: [L.Truth] = []
        let b = bounds
        func last(_ r: ResourceTerms<L>) -> L.Word { l.add(r.start, l.sub(r.size, l.word(1))) }
        func placed(_ r: ResourceTerms<L>) -> L.Truth {
            l.and(l.notEqual(r.size, l.word(0)), l.addsWithoutOverflow(r.start, l.sub(r.size, l.word(1))))
        }
        let mib = 20
        facts.append(placed(host))
        facts.append(l.lowBitsZero(host.start, bits: mib))
        facts.append(l.lowBitsZero(host.size, bits: mib))
        facts.append(l.greaterOrEqual(host.start, l.word(b.mmio.start)))
        facts.append(l.lessOrEqual(last(host), l.word(b.mmio.end)))
        let hostSpan = l.span(host)
        for (k, bridge) in bridges.enumerated() {
            let w = bridge.window
            facts.append(placed(w))
            facts.append(l.implies(bridge.present, l.and(l.lowBitsZero(w.start, bits: mib), l.lowBitsZero(w.size, bits: mib),
                                                         l.contains(hostSpan, l.span(w)))))
            if k > 0 { facts.append(l.implies(bridge.present, bridges[k - 1].present)) }
            for other in bridges[(k + 1)...] {
                facts.append(l.implies(l.and(bridge.present, other.present), l.not(l.overlaps(l.span(w), l.span(other.window)))))
            }
        }
        var allSlots: [(d: Int, k: Int)] = []
        for (d, device) in devices.enumerated() {
            if d == target.device { facts.append(device.present) }
            if d > 0 { facts.append(l.implies(device.present, devices[d - 1].present)) }
            facts.append(l.lessOrEqual(device.upstream, l.word(UInt64(bridges.count))))
            for (k, bridge) in bridges.enumerated() {
                facts.append(l.implies(l.equal(device.upstream, l.word(UInt64(k + 1))), bridge.present))
            }
            facts.append(l.implies(device.present, device.slots[0].implemented))
            let parentSpan = l.span(parent(of: d, l))
            for (k, slot) in device.slots.enumerated() {
                let r = slot.resource
                facts.append(placed(r))
                if d == target.device && k == target.slot { facts.append(slot.implemented) }
                facts.append(l.implies(slot.implemented, device.present))
                if k > 0 && !(d == target.device && k - 1 == target.slot) && !(d == target.device && k == target.slot) {
                    facts.append(l.implies(slot.implemented, device.slots[k - 1].implemented))
                }
                facts.append(l.lessOrEqual(slot.index, l.word(5)))
                if !b.fixedBARs { facts.append(l.not(slot.fixed)) }
                facts.append(l.implies(slot.is64, l.not(slot.io)))
                facts.append(l.implies(slot.prefetchable, l.not(slot.io)))
                facts.append(l.implies(slot.is64, l.lessOrEqual(slot.index, l.word(4))))
                for (m, other) in device.slots.enumerated() where m != k {
                    if m > k { facts.append(l.notEqual(slot.index, other.index)) }
                    facts.append(l.implies(l.and(slot.implemented, slot.is64, other.implemented),
                                           l.notEqual(other.index, l.add(slot.index, l.word(1)))))
                }
                // Memory BARs.
                let memory = isMemory(d, k, l)
                let unaligned = l.and(slot.fixed, situation.platform.unalignedFixedAllowed)
                if b.brokenNoSubpageBARs { facts.append(l.implies(memory, l.greaterOrEqual(r.size, situation.platform.pageSize))) }
                let sized = l.and(l.lessOrEqual(l.word(b.minBARSize), r.size), l.lessOrEqual(r.size, l.word(b.maxBARSize)))
                var resized: [L.Truth] = []
                for u in 0...bridges.count {
                    // pci_request_resource_alignment() with resize (an explicit parameter): a BAR
                    // smaller than the alignment becomes [0, align - 1], placed anew; firmware-fixed
                    // resources are left alone ("ignoring requested alignment").
                    guard let align = requestedAlignment(device: d, upstream: u) else { continue }
                    let here = l.and(l.equal(device.upstream, l.word(UInt64(u))), l.not(slot.fixed))
                    facts.append(l.implies(l.and(memory, here), l.greaterOrEqual(r.size, l.word(align))))
                    resized.append(l.and(here, l.equal(r.size, l.word(align))))
                }
                let sizeOK = l.or([sized] + resized)
                facts.append(l.implies(memory, l.and(
                    sizeOK,
                    l.contains(parentSpan, l.span(r)),
                    l.implies(l.not(slot.is64), l.lessOrEqual(last(r), l.word(0xffff_ffff))),
                    l.implies(unaligned, l.and(l.lowBitsZero(r.start, bits: 2), l.lowBitsZero(r.size, bits: 2))),
                    l.implies(l.not(unaligned), l.naturallyAligned(r)))))
                // I/O BARs: a 64 KiB port space of their own.
                let io = l.and(device.present, slot.implemented, slot.io)
                facts.append(l.implies(io, l.and(l.naturallyAligned(r), l.lessOrEqual(l.word(4), r.size),
                                                 l.lessOrEqual(r.size, l.word(256)), l.lessOrEqual(last(r), l.word(0xffff)))))
                allSlots.append((d, k))
            }
        }
        // Siblings are disjoint: memory BARs under the same parent window, root-bus BARs and
        // bridge windows, and all I/O BARs.
        for (i, a) in allSlots.enumerated() {
            let ra = l.span(devices[a.d].slots[a.k].resource)
            for other in allSlots[(i + 1)...] {
                let rb = l.span(devices[other.d].slots[other.k].resource)
                let siblings = l.and(isMemory(a.d, a.k, l), isMemory(other.d, other.k, l),
                                     l.equal(devices[a.d].upstream, devices[other.d].upstream))
                facts.append(l.implies(siblings, l.not(l.overlaps(ra, rb))))
                let bothIO = l.and(devices[a.d].present, devices[a.d].slots[a.k].implemented, devices[a.d].slots[a.k].io,
                                   devices[other.d].present, devices[other.d].slots[other.k].implemented,
                                   devices[other.d].slots[other.k].io)
                facts.append(l.implies(bothIO, l.not(l.overlaps(ra, rb))))
            }
            for bridge in bridges {
                let onRoot = l.and(isMemory(a.d, a.k, l), l.equal(devices[a.d].upstream, l.word(0)), bridge.present)
                facts.append(l.implies(onRoot, l.not(l.overlaps(ra, l.span(bridge.window)))))
            }
        }
        // MSI-X of the mmapped device: table and PBA in implemented memory BARs, inside them.
        let m = situation.msix
        let owner = devices[target.device]
        for (bir, offset, size) in [(m.tableBIR, m.tableOffset, m.tableSize), (m.pbaBIR, m.pbaOffset, m.pbaSize)] {
            let holders = owner.slots.indices.map { k in
                l.and(isMemory(target.device, k, l), l.equal(owner.slots[k].index, bir),
                      l.lessOrEqual(l.add(offset, size), owner.slots[k].resource.size))
            }
            facts.append(l.implies(m.present, l.or(holders)))
        }
        // Table and PBA do not share bytes (PCI Local Bus 3.0, 6.8.2: "must not overlap").
        let apart = l.or(l.notEqual(m.tableBIR, m.pbaBIR), l.lessOrEqual(l.add(m.tableOffset, m.tableSize), m.pbaOffset),
                         l.lessOrEqual(l.add(m.pbaOffset, m.pbaSize), m.tableOffset))
        facts.append(l.implies(m.present, apart))
        return l.and(facts)
    }

    /// The invariant's violation cases on the machine, each with its view bits. A case about a
    /// neighbour holds only when that neighbour is a placed memory BAR (never a bridge window:
    /// windows pass addresses on; they are not a device's registers).
    public func viewCases(_ invariant: Invariant, _ l: L) -> [ViewCase<L>] {
        situation.viewCases(invariant, l) { i in
            neighbourSources[i].map { source in
                let slot = devices[source.device].slots[source.slot]
                return (isMemory: situation.neighbours[i].bar.isMemory, is64: slot.is64, prefetchable: slot.prefetchable)
            }
        }
    }

    /// The violation, restricted to cases whose view is not in `blocked` (and, when `only` is
    /// given, to that view).
    public func violation(_ invariant: Invariant, blocked: [ViewKey] = [], only: ViewKey? = nil, _ l: L) -> L.Truth {
        func matches(_ c: ViewCase<L>, _ key: ViewKey) -> L.Truth {
            guard c.family == key.family, c.bits.count == key.bits.count else { return l.no }
            return l.and(zip(c.bits, key.bits).map { $1 ? $0 : l.not($0) })
        }
        return l.or(viewCases(invariant, l).map { c in
            var parts = [c.formula]
            parts += blocked.map { l.not(matches(c, $0)) }
            if let only { parts.append(matches(c, only)) }
            return l.and(parts)
        })
    }
}
