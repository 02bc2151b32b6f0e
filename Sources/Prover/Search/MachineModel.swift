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

/// What `barproof search` may build.
public struct SearchBounds: Hashable, Sendable {
    /// Most functions on the machine (``deviceRange``).
    public var devices: Int
    /// Most BARs a function implements (``barRange``).
    public var barsPerDevice: Int
    /// Most PCI-PCI bridges on the root bus (``bridgeRange``).
    public var bridges: Int
    /// Memory BAR sizes: powers of two in `minBARSize...maxBARSize` (firmware-fixed/EA BARs on a
    /// platform that allows them unaligned: any multiple of 4 bytes in the range). The default
    /// minimum is 4 KiB, the PCI specification's recommended smallest memory decode.
    public var minBARSize: UInt64
    public var maxBARSize: UInt64
    /// Where the host bridge's memory window may lie.
    public var mmio: Topology.Window
    /// `pci=resource_alignment=`, applied as the kernel applies an explicit parameter (resize).
    public var resourceAlignment: ResourceAlignmentParameter?
    /// BARs may be firmware-fixed (`IORESOURCE_PCI_FIXED`) or Enhanced Allocation entries, which
    /// keep their place: unaligned where the platform allows it, never realigned by `resource_alignment`.
    public var fixedBARs: Bool
    /// A deliberately broken allocator fact, for one test only: memory BARs at least a page, so the
    /// model leaves out the sub-page BARs real machines have (a fact too strong: no concrete
    /// re-check can notice a machine that is not built). `MachineModelAgreementTests` sets it to
    /// show that its comparison with the pair model fails when the machine model is wrong.
    /// Internal, and set by no initialiser, spec key or option: false in every run of `barproof`,
    /// where the facts read as they did without it.
    var brokenNoSubpageBARs = false

    public init(devices: Int = 4, barsPerDevice: Int = 6, bridges: Int = 1, minBARSize: UInt64 = 4096,
                maxBARSize: UInt64 = 1 << 30, mmio: Topology.Window = Topology.Window(start: 0x8000_0000, end: (1 << 48) - 1),
                resourceAlignment: ResourceAlignmentParameter? = nil, fixedBARs: Bool = true) {
        self.devices = devices
        self.barsPerDevice = barsPerDevice
        self.bridges = bridges
        self.minBARSize = minBARSize
        self.maxBARSize = maxBARSize
        self.mmio = mmio
        self.resourceAlignment = resourceAlignment
        self.fixedBARs = fixedBARs
    }

    /// The ranges the bounds may take, here once for the spec parser and ``problems``.
    public static let deviceRange = 1...24
    public static let barRange = 1...BAR.standardIndices.count
    public static let bridgeRange = 0...4
    /// PCI's smallest memory BAR: 16 bytes (the low 4 bits of a memory BAR are its type bits).
    public static let smallestBARSize: UInt64 = 16

    /// Whether `size` may bound the BAR sizes: a power of two of at least ``smallestBARSize``.
    public static func isBARSizeBound(_ size: UInt64) -> Bool { size >= smallestBARSize && size & (size - 1) == 0 }

    /// Problems with the bounds themselves, for spec errors.
    public var problems: [String] {
        var out: [String] = []
        if !Self.deviceRange.contains(devices) { out.append("devices must be \(Self.deviceRange), not \(devices)") }
        if !Self.barRange.contains(barsPerDevice) { out.append("bars must be \(Self.barRange), not \(barsPerDevice)") }
        if !Self.bridgeRange.contains(bridges) { out.append("bridges must be \(Self.bridgeRange), not \(bridges)") }
        for (name, size) in [("smallest BAR size", minBARSize), ("largest BAR size", maxBARSize)] where !Self.isBARSizeBound(size) {
            out.append("\(name) \(size) is not a power of two of at least \(Self.smallestBARSize)")
        }
        if minBARSize > maxBARSize { out.append("smallest BAR size exceeds the largest") }
        if mmio.start > mmio.end { out.append("the MMIO range is empty") }
        return out
    }
}

/// The identities `search` gives the machine's functions and bridges.
public enum MachineNaming {
    /// Red Hat, Inc. (QEMU's PCI vendor id): a vendor fixtures can use without naming real hardware.
    public static let vendorID: UInt16 = 0x1b36
    public static func deviceID(slot: Int) -> UInt16 { UInt16(0x1000 + slot) }
    /// Other network controller.
    public static let classCode: UInt32 = 0x028000
    /// PCI-to-PCI bridge: QEMU's (1b36:0001), as the fixtures' bridges are.
    public static let bridgeClassCode: UInt32 = 0x060400
    public static let bridgeDeviceID: UInt16 = 0x0001

    /// Bridge `k` is the root port `0000:00:1c.k` (k < 8) with secondary bus `k + 1`.
    public static func bridgeAddress(_ k: Int) -> PCIAddress {
        PCIAddress(bus: 0, device: 0x1c + UInt8(k / 8), function: UInt8(k % 8))!
    }

    /// Device slot `d` is `0000:00:(d+1).0` on the root bus (`upstream` 0) and `0000:(k+1):d.0`
    /// behind bridge `k` (`upstream` k + 1).
    public static func functionAddress(slot d: Int, upstream: Int) -> PCIAddress {
        upstream == 0 ? PCIAddress(bus: 0, device: UInt8(d + 1), function: 0)!
            : PCIAddress(bus: UInt8(upstream), device: UInt8(d), function: 0)!
    }
}

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

/// Which structure to hold fixed: used to prove a mitigation for one machine under every placement.
public struct MachineShape: Hashable, Sendable {
    public struct Slot: Hashable, Sendable {
        public var index: Int
        public var kind: BARKind
        public var prefetchable: Bool
        public var fixed: Bool
        /// The BAR's size before any `resource_alignment` resize.
        public var size: UInt64

        public init(index: Int, kind: BARKind, prefetchable: Bool, fixed: Bool, size: UInt64) {
            self.index = index
            self.kind = kind
            self.prefetchable = prefetchable
            self.fixed = fixed
            self.size = size
        }
    }

    public struct Device: Hashable, Sendable {
        /// 0: the root bus; k + 1: behind bridge k.
        public var upstream: Int
        public var slots: [Slot]
        public var msix: MSIXCapability?

        public init(upstream: Int, slots: [Slot], msix: MSIXCapability?) {
            self.upstream = upstream
            self.slots = slots
            self.msix = msix
        }
    }

    /// Device `d` is the search's device slot `d` (its bus address follows ``MachineNaming``).
    public var devices: [Device]
    public var bridges: Int

    public init(devices: [Device], bridges: Int) {
        self.devices = devices
        self.bridges = bridges
    }
}

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

/// What a view's exposed bytes are; its raw value orders views in reports and blocking.
public enum ViewFamily: Int, Hashable, Sendable, CaseIterable {
    /// A foreign device's BAR is exposed (`page-exclusive`).
    case foreignBAR = 0
    /// The device's own MSI-X table, in the mapped BAR (`msix-needs-filtering`).
    case tableInMappedBAR = 1
    /// Its MSI-X table in another of its BARs sharing a page with the mapped one.
    case tableInSharedBAR = 2
    /// Bytes outside the BAR's pages (`mmap-within-bar`).
    case outsideBAR = 3
}

/// One way the invariant can fail on the machine, with the bits that make up its view.
public struct ViewCase<L: Logic> {
    public var family: ViewFamily
    public var formula: L.Truth
    public var bits: [L.Truth]
    /// The neighbour of the situation the case is about, if any.
    public var neighbour: Int?
}

/// A view as the solver sees it: the case family and its bits.
public struct ViewKey: Hashable, Sendable {
    public var family: ViewFamily
    public var bits: [Bool]
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

extension ViewKey {
    /// The view in words, for the policy the counterexample was found under.
    public func view(policy: Policy) -> CounterexampleView {
        // The clause through which the mmap went, by each clause's path (``Rule/path``): the
        // request's bound; for a sub-page BAR the last sub-page test; for a table view the
        // exclusion unless filtered, when the policy has one.
        func through(_ paths: [Rule.Path]) -> String? {
            policy.clauses.filter { $0.rule.path.map(paths.contains) ?? false }.max { $0.rule.path! < $1.rule.path! }?.id
        }
        let subpage = bits[0], aligned = bits[1]
        var clause = through([.requestBound, .roundedRequestBound]) ?? "no clause bounds the request"
        if subpage, let last = through([.subpageStart, .subpageReservation]) { clause = last }
        if family == .tableInMappedBAR || family == .tableInSharedBAR, let exclusion = through([.tableUnlessFiltered]) {
            clause = exclusion
        }
        let barClass = "\(aligned ? "page-aligned" : "mid-page") \(subpage ? "sub-page" : "page-or-larger") BAR"
        switch family {
        case .foreignBAR:
            let kind = "\(bits[2] ? "64-bit" : "32-bit")\(bits[3] ? " prefetchable" : "") BAR of another device"
                + (bits[4] ? " on the same bus" : " under another window")
            return CounterexampleView(clause: clause, foreignKind: kind,
                                      pageOffsetClass: "\(barClass), foreign bytes \(bits[5] ? "after" : "before") it")
        case .tableInMappedBAR:
            return CounterexampleView(clause: clause, foreignKind: "the device's own MSI-X table, in the mapped BAR",
                                      pageOffsetClass: "\(barClass), table \(bits[2] ? "on the mapping's first page" : "beyond its first page")")
        case .tableInSharedBAR:
            return CounterexampleView(clause: clause, foreignKind: "the device's MSI-X table, in another of its BARs",
                                      pageOffsetClass: "\(barClass), table BAR \(bits[2] ? "after" : "before") it")
        case .outsideBAR:
            return CounterexampleView(clause: clause, foreignKind: "bytes outside the BAR's own pages",
                                      pageOffsetClass: "\(barClass), exposed \(bits[2] ? "before" : "after") its pages")
        }
    }
}

extension Situation {
    /// The invariant's violation cases with their view bits (``ViewKey``), on any situation:
    /// `bar(i)` says whether neighbour `i` is a device's BAR (nil: a window or another resource,
    /// whose cases are no view) and gives its width and prefetchability bits. The machine model
    /// knows those from its slots; the pair model does not, and ``PairViewOracle`` leaves them free.
    func viewCases(_ invariant: Invariant, _ l: L,
                   bar: (Int) -> (isMemory: L.Truth, is64: L.Truth, prefetchable: L.Truth)?) -> [ViewCase<L>] {
        let cases = invariant.violationCases(self, l)
        let subpage = isSubpage(l)
        let aligned = l.isPageAligned(self.bar.resource.start, platform)
        var out: [ViewCase<L>] = []
        for (i, c) in cases.enumerated() {
            let neighbour = invariant.firstNeighbourCase.flatMap { i >= $0 ? i - $0 : nil }
            var formula = c.exact
            var source: (isMemory: L.Truth, is64: L.Truth, prefetchable: L.Truth)?
            if let neighbour {
                source = bar(neighbour)
                formula = l.and(formula, source?.isMemory ?? l.no)
            }
            switch invariant {
            case .pageExclusive:
                guard let neighbour, let source else { continue }
                let n = neighbours[neighbour]
                out.append(ViewCase(family: .foreignBAR, formula: formula,
                                    bits: [subpage, aligned, source.is64, source.prefetchable, n.inParent,
                                           l.less(self.bar.resource.start, n.bar.resource.start)],
                                    neighbour: neighbour))
            case .msixNeedsFiltering:
                if let neighbour {
                    guard source != nil else { continue }
                    let n = neighbours[neighbour]
                    out.append(ViewCase(family: .tableInSharedBAR, formula: formula,
                                        bits: [subpage, aligned, l.less(self.bar.resource.start, n.bar.resource.start)],
                                        neighbour: neighbour))
                } else {
                    let inPage = l.sub(self.bar.resource.start, l.pageDown(self.bar.resource.start, platform))
                    let onFirstPage = l.less(l.add(inPage, msix.tableOffset), platform.pageSize)
                    out.append(ViewCase(family: .tableInMappedBAR, formula: formula, bits: [subpage, aligned, onFirstPage], neighbour: nil))
                }
            case .mmapWithinBAR:
                let x = exposed(l)
                out.append(ViewCase(family: .outsideBAR, formula: formula,
                                    bits: [subpage, aligned, l.less(x.first, l.pageDown(self.bar.resource.start, platform))],
                                    neighbour: nil))
            }
        }
        return out
    }
}
