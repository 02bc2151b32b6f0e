import PCIModel
import Prover
import Reports

/// A topology the fixture writers cannot render, or that no real allocator could produce.
public struct FixtureError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `Topology` rendered in the kernel's own formats: the sysfs `resource`, `config`, `vendor`,
/// `device`, `class`, `subsystem_vendor`, `subsystem_device`, `revision` and `irq` files of every
/// function and bridge (``sysfsDevices(resourceLines:)``), and `/proc/iomem`. What the audit
/// importers (`HostInventory.load`) read back is the topology itself, without parser warnings.
extension Topology {
    /// How many lines a `resource` file has: `resource_show()` (drivers/pci/pci-sysfs.c, the same
    /// in 4.4 to 6.18) prints `pci_dev->resource[i]` for `i` below `PCI_BRIDGE_RESOURCES` (a
    /// function) or `DEVICE_COUNT_RESOURCE` (a bridge), each as `"0x%016llx 0x%016llx 0x%016llx\n"`,
    /// and the resource enum of include/linux/pci.h has the 6 SR-IOV VF BARs between the ROM and
    /// the 4 bridge windows only under `#ifdef CONFIG_PCI_IOV`.
    public enum ResourceLines: Int, Sendable, CaseIterable {
        /// `CONFIG_PCI_IOV` unset: 7 lines for a function (BARs 0-5, ROM), 11 for a bridge.
        case withoutIOV = 7
        /// `CONFIG_PCI_IOV=y`, as distribution kernels build: 13 (plus VF BARs 0-5) and 17.
        case withIOV = 13

        /// Lines of a function's file.
        public var function: Int { rawValue }
        /// Lines of a bridge's file: the function's, then the I/O, memory, prefetchable and
        /// CardBus windows.
        public var bridge: Int { rawValue + 4 }
    }

    /// The `IORESOURCE_*` flags `__pci_read_base()`/`decode_bar()` (drivers/pci/probe.c) give a BAR:
    /// the type (`IORESOURCE_MEM`/`IORESOURCE_IO`), `IORESOURCE_MEM_64` and `IORESOURCE_PREFETCH`
    /// from the register, `IORESOURCE_SIZEALIGN`, the register's low bits copied into the low byte,
    /// and `IORESOURCE_PCI_FIXED` for a firmware-fixed BAR.
    static func resourceFlags(_ bar: PlacedBAR) -> ResourceFlags {
        if isEnhancedAllocation(bar) {
            // pci_ea_flags() and pci_ea_read() (drivers/pci/pci.c): MEM (| PREFETCH), FIXED, EA_BEI,
            // MEM_64 when the entry has 64-bit fields; no register bits, no SIZEALIGN.
            var flags: ResourceFlags = [.mem, .pciFixed, .pciEABEI]
            if bar.prefetchable { flags.insert(.prefetch) }
            if bar.kind == .mem64 { flags.insert(.mem64) }
            return flags
        }
        var flags: ResourceFlags = [.sizeAlign]
        switch bar.kind {
        case .io:
            flags.formUnion([.io, ResourceFlags(rawValue: 0x1)])  // PCI_BASE_ADDRESS_SPACE_IO
        case .mem32, .mem64, .none:
            flags.insert(.mem)
            if bar.kind == .mem64 { flags.formUnion([.mem64, .barRegisterMemType64]) }
            if bar.prefetchable { flags.formUnion([.prefetch, .barRegisterPrefetch]) }
        }
        if bar.fixed { flags.insert(.pciFixed) }
        return flags
    }

    /// A fixed memory BAR that is not naturally aligned cannot come from a BAR register (hardware
    /// decodes power-of-two, size-aligned ranges): it is written as an Enhanced Allocation entry
    /// (`PCI_CAP_ID_EA`), whose base and size are 4-byte granular, with the BAR register zero.
    /// A naturally aligned fixed BAR is a firmware-fixed BAR register (`IORESOURCE_PCI_FIXED`).
    static func isEnhancedAllocation(_ bar: PlacedBAR) -> Bool {
        bar.fixed && bar.kind.isMemory && !(bar.size & (bar.size &- 1) == 0 && bar.size != 0 && bar.start % bar.size == 0)
    }

    /// Problems that keep a function's BARs from being encoded in config space.
    func encodingProblems() -> [String] {
        var problems: [String] = []
        for f in functions {
            var used: [Int: Int] = [:]
            for bar in f.bars {
                let name = "\(f.address) BAR \(bar.index)"
                guard (0...5).contains(bar.index) else { problems.append("\(name): a BAR index is 0-5"); continue }
                guard bar.kind != .none else { problems.append("\(name): kind none is not a BAR"); continue }
                if bar.size == 0 { problems.append("\(name): size 0") }
                let slots = bar.kind == .mem64 ? [bar.index, bar.index + 1] : [bar.index]
                if bar.kind == .mem64 && bar.index == 5 { problems.append("\(name): a 64-bit BAR needs slot 6 for its upper half") }
                for slot in slots {
                    if let other = used[slot] { problems.append("\(name) and BAR \(other) both use register slot \(slot)") }
                    used[slot] = bar.index
                }
                if bar.kind == .io && (bar.end > UInt64(UInt32.max)) { problems.append("\(name): an I/O BAR above 4 GiB") }
                if Self.isEnhancedAllocation(bar) && (bar.start % 4 != 0 || bar.size % 4 != 0) {
                    problems.append("\(name): an Enhanced Allocation base and size are multiples of 4 bytes")
                }
            }
            if let msix = f.msix {
                for (what, bir) in [("table", msix.tableBIR), ("PBA", msix.pbaBIR)] where f.bar(bir).map({ !$0.kind.isMemory }) ?? true {
                    problems.append("\(f.address): the MSI-X \(what) is in BAR \(bir), which is no memory BAR")
                }
            }
        }
        let addresses = functions.map(\.address) + bridges.map(\.address)
        if Set(addresses).count != addresses.count { problems.append("two functions or bridges share an address") }
        return problems
    }

    /// The `resource` file of `function`.
    func resourceText(_ function: Function, lines layout: ResourceLines) -> String {
        var lines = Array(repeating: (UInt64(0), UInt64(0), UInt64(0)), count: layout.function)
        for bar in function.bars where (0...5).contains(bar.index) {
            lines[bar.index] = (bar.start, bar.end, Self.resourceFlags(bar).rawValue)
        }
        return lines.map(Self.resourceLine).joined()
    }

    /// The `resource` file of a bridge: BARs, ROM and VF BARs unused, then the I/O window (closed),
    /// the memory window, the prefetchable window, and the unused fourth (CardBus) slot.
    /// `pci_read_bridge_mmio()` gives the memory window `IORESOURCE_MEM`;
    /// `pci_read_bridge_mmio_pref()` gives the prefetchable one `IORESOURCE_MEM | IORESOURCE_PREFETCH`,
    /// plus `IORESOURCE_MEM_64` and the register's `PCI_PREF_RANGE_TYPE_64` bit when 64-bit
    /// (recalled from drivers/pci/probe.c, not re-read: UNVERIFIED; the audit does not read bridge
    /// window flags).
    func resourceText(_ bridge: Bridge, lines layout: ResourceLines) -> String {
        var lines = Array(repeating: (UInt64(0), UInt64(0), UInt64(0)), count: layout.bridge)
        let window = (bridge.window.start, bridge.window.end)
        // PCI_BRIDGE_RESOURCES + 1 is the memory window, + 2 the prefetchable one.
        if Self.usesPrefetchableWindow(bridge) {
            lines[layout.function + 2] = (window.0, window.1, ResourceFlags([.mem, .prefetch, .mem64]).rawValue | 0x1)
        } else {
            lines[layout.function + 1] = (window.0, window.1, ResourceFlags.mem.rawValue)
        }
        return lines.map(Self.resourceLine).joined()
    }

    /// A bridge's memory window register holds bits 31:20 only; a window above 4 GiB is forwarded
    /// through the 64-bit prefetchable window instead (`PCI_PREF_BASE_UPPER32`), as the kernel
    /// places 64-bit prefetchable BARs.
    static func usesPrefetchableWindow(_ bridge: Bridge) -> Bool { bridge.window.end > UInt64(UInt32.max) }

    static func resourceLine(_ line: (UInt64, UInt64, UInt64)) -> String {
        "0x\(hexString(line.0, width: 16)) 0x\(hexString(line.1, width: 16)) 0x\(hexString(line.2, width: 16))\n"
    }

    /// A 256-byte conventional config image of `function`: IDs, command (memory decode and bus
    /// master on, I/O decode when it has an I/O BAR), class, header type 0 (multi-function when a
    /// sibling function shares its device number), BAR registers holding the placed addresses with
    /// their type bits (`PCI_BASE_ADDRESS_SPACE_IO`, `PCI_BASE_ADDRESS_MEM_TYPE_64` with the upper
    /// half in the next register, `PCI_BASE_ADDRESS_MEM_PREFETCH`), subsystem IDs, and, with MSI-X,
    /// `PCI_STATUS_CAP_LIST` and the MSI-X capability (ID 0x11) at 0x40; an Enhanced Allocation
    /// capability (ID 0x14) at 0x50 for the fixed BARs that are not naturally aligned.
    func configImage(_ function: Function) -> [UInt8] {
        var c = ConfigImageBuilder()
        let hasIO = function.bars.contains { $0.kind == .io }
        c.set16(0x00, function.vendorID)
        c.set16(0x02, function.deviceID)
        c.set16(0x04, 0x0006 | (hasIO ? 0x0001 : 0))  // PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER (| _IO)
        c.set32(0x08, function.classCode << 8)  // revision 0
        let a = function.address
        let multiFunction = functions.contains { $0.address != a && $0.address.domain == a.domain && $0.address.bus == a.bus && $0.address.device == a.device }
        c.bytes[0x0e] = HeaderType(.normal, multiFunction: multiFunction).rawValue
        for bar in function.bars where (0...5).contains(bar.index) && !Self.isEnhancedAllocation(bar) {
            let offset = 0x10 + 4 * bar.index
            switch bar.kind {
            case .io:
                c.set32(offset, UInt32(truncatingIfNeeded: bar.start) & ~0x3 | 0x1)
            case .mem32, .mem64, .none:
                var low = UInt32(truncatingIfNeeded: bar.start) & ~0xf
                if bar.prefetchable { low |= 0x8 }
                if bar.kind == .mem64 {
                    low |= 0x4
                    if bar.index < 5 { c.set32(offset + 4, UInt32(truncatingIfNeeded: bar.start >> 32)) }
                }
                c.set32(offset, low)
            }
        }
        c.set16(0x2c, function.vendorID)
        c.set16(0x2e, function.deviceID)
        c.bytes[0x3d] = 0x01  // INTA#
        let enhanced = function.bars.filter { (0...5).contains($0.index) && Self.isEnhancedAllocation($0) }
        if let msix = function.msix {
            c.set16(0x06, 0x0010)  // PCI_STATUS_CAP_LIST
            c.bytes[0x34] = 0x40
            c.bytes[0x40] = MSIXCapability.capabilityID
            c.bytes[0x41] = 0x00  // last in the list
            var control = UInt16(msix.entries - 1)  // PCI_MSIX_FLAGS_QSIZE
            if msix.enabled { control |= 0x8000 }
            if msix.functionMasked { control |= 0x4000 }
            c.set16(0x42, control)
            c.set32(0x44, msix.tableOffset | UInt32(msix.tableBIR))
            c.set32(0x48, msix.pbaOffset | UInt32(msix.pbaBIR))
        }
        if !enhanced.isEmpty {
            // PCI_CAP_ID_EA at 0x50, after MSI-X when there is one; entries from +4 (PCI_EA_FIRST_ENT).
            c.set16(0x06, 0x0010)
            if function.msix != nil { c.bytes[0x41] = 0x50 } else { c.bytes[0x34] = 0x50 }
            c.bytes[0x50] = 0x14
            c.bytes[0x52] = UInt8(enhanced.count)  // PCI_EA_NUM_ENT
            var at = 0x54
            for bar in enhanced {
                let wide = bar.kind == .mem64
                let property: UInt32 = bar.prefetchable ? 0x01 : 0x00  // PCI_EA_P_MEM_PREFETCH, PCI_EA_P_MEM
                let last = bar.size - 1
                // PCI_EA_ENABLE, secondary and primary properties, BEI, PCI_EA_ES (DWORDs after the first).
                c.set32(at, 0x8000_0000 | property << 16 | property << 8 | UInt32(bar.index) << 4 | (wide ? 4 : 2))
                c.set32(at + 4, UInt32(truncatingIfNeeded: bar.start) & 0xffff_fffc | (wide ? 0x2 : 0))  // PCI_EA_IS_64
                c.set32(at + 8, UInt32(truncatingIfNeeded: last) & 0xffff_fffc | (wide ? 0x2 : 0))
                if wide {
                    c.set32(at + 12, UInt32(truncatingIfNeeded: bar.start >> 32))
                    c.set32(at + 16, UInt32(truncatingIfNeeded: last >> 32))
                }
                at += wide ? 20 : 12
            }
        }
        return c.bytes
    }

    /// A 256-byte type 1 config image of `bridge` (a QEMU PCI-PCI bridge, 1b36:0001, class 0x060400):
    /// bus numbers, the I/O window closed, and the window in `PCI_MEMORY_BASE`/`PCI_MEMORY_LIMIT`
    /// (bits 31:20) or, above 4 GiB, in the 64-bit prefetchable registers with the other closed.
    func configImage(_ bridge: Bridge) -> [UInt8] {
        var c = ConfigImageBuilder()
        c.set16(0x00, MachineNaming.vendorID)
        c.set16(0x02, MachineNaming.bridgeDeviceID)
        c.set16(0x04, 0x0006)
        c.set32(0x08, MachineNaming.bridgeClassCode << 8)
        c.bytes[0x0e] = HeaderType(.bridge).rawValue
        c.bytes[0x18] = bridge.address.bus
        c.bytes[0x19] = bridge.secondaryBus
        c.bytes[0x1a] = subordinateBus(of: bridge)
        c.bytes[0x1c] = 0xf0  // I/O base above limit: closed
        c.bytes[0x1d] = 0x00
        let base = UInt16(truncatingIfNeeded: bridge.window.start >> 16) & 0xfff0
        let limit = UInt16(truncatingIfNeeded: bridge.window.end >> 16) & 0xfff0
        if Self.usesPrefetchableWindow(bridge) {
            c.set16(0x20, 0xfff0)  // memory window closed
            c.set16(0x22, 0x0000)
            c.set16(0x24, base | 0x1)  // PCI_PREF_RANGE_TYPE_64
            c.set16(0x26, limit | 0x1)
            c.set32(0x28, UInt32(truncatingIfNeeded: bridge.window.start >> 32))
            c.set32(0x2c, UInt32(truncatingIfNeeded: bridge.window.end >> 32))
        } else {
            c.set16(0x20, base)
            c.set16(0x22, limit)
            c.set16(0x24, 0xfff1)  // prefetchable window closed
            c.set16(0x26, 0x0001)
        }
        return c.bytes
    }

    /// The highest bus number behind `bridge`: its own secondary bus or that of a bridge below it.
    func subordinateBus(of bridge: Bridge) -> UInt8 {
        var highest = bridge.secondaryBus
        var frontier = [bridge.address]
        var seen: Set<PCIAddress> = [bridge.address]
        while let next = frontier.popLast() {
            for b in bridges where b.upstream == next && !seen.contains(b.address) {
                seen.insert(b.address)
                highest = max(highest, b.secondaryBus)
                frontier.append(b.address)
            }
        }
        return highest
    }

    /// `/proc/iomem` as `r_show()` (kernel/resource.c) prints it: `start-end : name`, lowercase hex
    /// of at least 8 digits, two spaces of indentation per level, siblings by address. The host
    /// window is `PCI Bus 0000:00`; each bridge window is `PCI Bus dddd:bb` (its secondary bus) under
    /// its parent window; each memory BAR is a child named by its function (`0000:00:02.0`).
    func procIOMemText() -> String {
        struct Entry { var start: UInt64; var end: UInt64; var name: String; var bridge: PCIAddress? }
        func children(of upstream: PCIAddress?) -> [Entry] {
            var out: [Entry] = []
            for b in bridges where b.upstream == upstream {
                out.append(Entry(start: b.window.start, end: b.window.end,
                                 name: "PCI Bus \(hexString(UInt64(b.address.domain), width: 4)):\(hexString(UInt64(b.secondaryBus), width: 2))",
                                 bridge: b.address))
            }
            for f in functions where f.upstream == upstream {
                for bar in f.bars where bar.kind.isMemory && bar.size > 0 {
                    out.append(Entry(start: bar.start, end: bar.end, name: f.address.description, bridge: nil))
                }
            }
            return out.sorted { ($0.start, $0.end, $0.name) < ($1.start, $1.end, $1.name) }
        }
        var text = ""
        func emit(_ entry: Entry, depth: Int, visited: Set<PCIAddress>) {
            text += String(repeating: "  ", count: depth)
                + "\(hexString(entry.start, width: 8))-\(hexString(entry.end, width: 8)) : \(entry.name)\n"
            guard let bridge = entry.bridge, !visited.contains(bridge) else { return }
            for child in children(of: bridge) { emit(child, depth: depth + 1, visited: visited.union([bridge])) }
        }
        let domain = functions.first?.address.domain ?? 0
        text += "\(hexString(hostWindow.start, width: 8))-\(hexString(hostWindow.end, width: 8)) : PCI Bus \(hexString(UInt64(domain), width: 4)):00\n"
        for child in children(of: nil) { emit(child, depth: 1, visited: []) }
        return text
    }

    /// One function or bridge as sysfs shows it: its attribute files, rendered once, and where it
    /// sits. The sysfs tree (``sysfsFiles(resourceLines:)``) and the umockdev record (``umockdevRecord(resourceLines:)``) are
    /// both written from these, so the two cannot disagree.
    struct SysfsDevice: Sendable {
        var address: PCIAddress
        /// The bridge the device is behind; nil on the root bus.
        var upstream: PCIAddress?
        var vendorID: UInt16
        var deviceID: UInt16
        var subsystemVendorID: UInt16
        var subsystemDeviceID: UInt16
        var classCode: UInt32
        /// The attribute files by name (`resource`, `config`, `vendor`, ...).
        var attributes: [String: [UInt8]]
    }

    /// Every function and bridge with its attribute files, in the formats of drivers/pci/pci-sysfs.c:
    /// `vendor`, `device`, `subsystem_vendor`, `subsystem_device` `"0x%04x\n"`, `class` `"0x%06x\n"`,
    /// `revision` `"0x%02x\n"`, `irq` `"%u\n"`, and `resource` and `config` as above.
    ///
    /// What the config image holds decides the rest, as drivers/pci/probe.c reads it: `revision` is
    /// byte 0x08 (`PCI_REVISION_ID`, 0 here); the subsystem IDs are the type 0 header's 0x2c/0x2e
    /// (`PCI_SUBSYSTEM_VENDOR_ID`/`PCI_SUBSYSTEM_ID`, the function's own IDs here) and 0 for a
    /// bridge, whose type 1 header has them only in an SSVID capability (`PCI_CAP_ID_SSVID`), which
    /// these images lack; `irq` is what `pci_read_irq()` sets: the interrupt line (0x3c) when the
    /// interrupt pin (0x3d) is set, else 0. The functions' images say pin INTA# with line 0, the
    /// bridges' no pin: `irq` is 0 for all (no interrupt routed, as before a platform routes one).
    func sysfsDevices(resourceLines: ResourceLines = .withIOV) -> [SysfsDevice] {
        func device(_ address: PCIAddress, upstream: PCIAddress?, resource: String, config: [UInt8], vendor: UInt16,
                    device: UInt16, classCode: UInt32) -> SysfsDevice {
            func word(_ at: Int) -> UInt16 { UInt16(config[at]) | UInt16(config[at + 1]) << 8 }
            let isBridge = config[0x0e] & 0x7f == 0x01
            let subsystemVendor = isBridge ? 0 : word(0x2c), subsystemDevice = isBridge ? 0 : word(0x2e)
            let irq = config[0x3d] == 0 ? 0 : config[0x3c]
            func hex(_ value: UInt64, _ width: Int) -> [UInt8] { Array("\(hexPadded(value, width))\n".utf8) }
            return SysfsDevice(
                address: address, upstream: upstream, vendorID: vendor, deviceID: device,
                subsystemVendorID: subsystemVendor, subsystemDeviceID: subsystemDevice, classCode: classCode,
                attributes: [
                    "resource": Array(resource.utf8),
                    "config": config,
                    "vendor": hex(UInt64(vendor), 4),
                    "device": hex(UInt64(device), 4),
                    "class": hex(UInt64(classCode), 6),
                    "subsystem_vendor": hex(UInt64(subsystemVendor), 4),
                    "subsystem_device": hex(UInt64(subsystemDevice), 4),
                    "revision": hex(UInt64(config[0x08]), 2),
                    "irq": Array("\(irq)\n".utf8),
                ])
        }
        return functions.map { f in
            device(f.address, upstream: f.upstream, resource: resourceText(f, lines: resourceLines), config: configImage(f), vendor: f.vendorID,
                   device: f.deviceID, classCode: f.classCode)
        } + bridges.map { b in
            device(b.address, upstream: b.upstream, resource: resourceText(b, lines: resourceLines), config: configImage(b), vendor: MachineNaming.vendorID,
                   device: MachineNaming.bridgeDeviceID, classCode: MachineNaming.bridgeClassCode)
        }
    }

    /// Every file of the sysfs-shaped tree, by path relative to the tree's root: `proc/iomem` and
    /// each device's attributes (``sysfsDevices(resourceLines:)``) under `sys/bus/pci/devices/<bdf>/`.
    func sysfsFiles(resourceLines: ResourceLines = .withIOV) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = ["proc/iomem": Array(procIOMemText().utf8)]
        for d in sysfsDevices(resourceLines: resourceLines) {
            for (name, bytes) in d.attributes { files["sys/bus/pci/devices/\(d.address)/\(name)"] = bytes }
        }
        return files
    }
}

/// Little-endian register writes into a zeroed 256-byte image.
struct ConfigImageBuilder {
    var bytes = [UInt8](repeating: 0, count: 256)

    mutating func set16(_ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value & 0xff)
        bytes[offset + 1] = UInt8(value >> 8)
    }

    mutating func set32(_ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
    }
}
