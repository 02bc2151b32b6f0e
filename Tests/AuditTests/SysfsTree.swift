import Audit
import Foundation

/// A hand-built sysfs-shaped tree: the files of `sys/bus/pci/devices/<bdf>/` and `proc/iomem`,
/// held in memory, or written to a temporary directory for the end-to-end tests.
struct SysfsTree: SysfsFiles {
    var files: [String: [UInt8]] = [:]
    var links: [String: String] = [:]
    /// Directories that exist even when empty.
    var directories: Set<String> = []
    /// Files that exist but throw ``UnreadableFile``.
    var unreadable: Set<String> = []

    /// One memory or I/O resource line of a `resource` file.
    struct Line {
        var start: UInt64
        var end: UInt64
        var flags: UInt64
        static let unused = Line(start: 0, end: 0, flags: 0)
        /// A 32-bit non-prefetchable memory BAR (`IORESOURCE_MEM | IORESOURCE_SIZEALIGN`).
        static func mem32(_ start: UInt64, size: UInt64) -> Line { Line(start: start, end: start + size - 1, flags: 0x40200) }
        /// A 64-bit prefetchable memory BAR (`MEM | PREFETCH | SIZEALIGN | MEM_64`, register bits 0xc).
        static func mem64Prefetch(_ start: UInt64, size: UInt64) -> Line {
            Line(start: start, end: start + size - 1, flags: 0x14220c)
        }
        /// A memory resource installed from an Enhanced Allocation entry
        /// (`IORESOURCE_MEM | IORESOURCE_PCI_FIXED | IORESOURCE_PCI_EA_BEI`): any size, any alignment.
        static func eaMem(_ start: UInt64, size: UInt64) -> Line { Line(start: start, end: start + size - 1, flags: 0x230) }
    }

    /// One 32-bit Enhanced Allocation entry (three DWORDs: header, Base, MaxOffset), enabled.
    struct EAEntry {
        var bei: Int
        /// `PCI_EA_P_*`: 0x00 memory, 0x01 prefetchable memory, 0x02 I/O.
        var properties: UInt8 = 0x00
        var base: UInt32
        /// A multiple of 4: MaxOffset's low two bits read as ones.
        var size: UInt32
    }

    struct MSIX {
        var tableBIR: Int
        var tableOffset: UInt32
        var entries: Int
        var pbaBIR: Int
        var pbaOffset: UInt32
    }

    /// Adds a normal-header function with BARs 0-5 (and ROM, unused) from `bars`.
    mutating func addFunction(_ bdf: String, vendor: UInt16 = 0x1af4, device: UInt16 = 0x1000, bars: [Line],
                              msix: MSIX? = nil, ea: [EAEntry] = [], driver: String? = nil, group: Int? = nil) {
        let directory = "sys/bus/pci/devices/\(bdf)"
        var lines = bars + Array(repeating: Line.unused, count: 7 - bars.count)
        lines = Array(lines.prefix(7))
        files["\(directory)/resource"] = Array(lines.map { line in
            "0x\(hex16(line.start)) 0x\(hex16(line.end)) 0x\(hex16(line.flags))\n"
        }.joined().utf8)
        var config = [UInt8](repeating: 0, count: 256)
        func set16(_ offset: Int, _ value: UInt16) { config[offset] = UInt8(value & 0xff); config[offset + 1] = UInt8(value >> 8) }
        func set32(_ offset: Int, _ value: UInt32) { for i in 0..<4 { config[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) } }
        set16(0x00, vendor)
        set16(0x02, device)
        set16(0x04, 0x0006)
        set32(0x08, 0x0200_0001)
        // EA resources leave their BAR registers hard-wired to zero.
        for (i, line) in bars.prefix(6).enumerated() where line.flags != 0 && line.flags & 0x20 == 0 {
            set32(0x10 + 4 * i, UInt32(truncatingIfNeeded: line.start) | UInt32(line.flags & 0xf))
            if line.flags & 0x100000 != 0, i < 5 { set32(0x14 + 4 * i, UInt32(truncatingIfNeeded: line.start >> 32)) }
        }
        if let msix {
            set16(0x06, 0x0010)  // status: CAP_LIST
            config[0x34] = 0x40
            config[0x40] = 0x11  // MSI-X, last in the list
            set16(0x42, UInt16(msix.entries - 1))
            set32(0x44, msix.tableOffset | UInt32(msix.tableBIR))
            set32(0x48, msix.pbaOffset | UInt32(msix.pbaBIR))
        }
        if !ea.isEmpty {
            // PCI_CAP_ID_EA at 0x50, after MSI-X when there is one.
            set16(0x06, 0x0010)
            if msix != nil { config[0x41] = 0x50 } else { config[0x34] = 0x50 }
            config[0x50] = 0x14
            config[0x52] = UInt8(ea.count)
            for (n, entry) in ea.enumerated() {
                let at = 0x54 + 12 * n
                // PCI_EA_ES 2 (two DWORDs follow), BEI, primary and secondary properties, PCI_EA_ENABLE.
                set32(at, 0x8000_0000 | UInt32(entry.properties) << 16 | UInt32(entry.properties) << 8
                          | UInt32(entry.bei) << 4 | 0x2)
                set32(at + 4, entry.base & 0xffff_fffc)
                set32(at + 8, (entry.size - 1) & 0xffff_fffc)
            }
        }
        files["\(directory)/config"] = config
        files["\(directory)/vendor"] = Array("0x\(hex(UInt64(vendor), 4))\n".utf8)
        files["\(directory)/device"] = Array("0x\(hex(UInt64(device), 4))\n".utf8)
        files["\(directory)/class"] = Array("0x020000\n".utf8)
        if let driver { links["\(directory)/driver"] = "../../../bus/pci/drivers/\(driver)" }
        if let group { links["\(directory)/iommu_group"] = "../../../kernel/iommu_groups/\(group)" }
    }

    /// Adds a PCI-PCI bridge (type-1 header) whose memory window is `window`: 11 resource lines,
    /// BARs and ROM unused, then the I/O, memory, prefetchable and CardBus windows.
    mutating func addBridge(_ bdf: String, window: Line) {
        let directory = "sys/bus/pci/devices/\(bdf)"
        let lines = Array(repeating: Line.unused, count: 8) + [window, .unused, .unused]
        files["\(directory)/resource"] = Array(lines.map { line in
            "0x\(hex16(line.start)) 0x\(hex16(line.end)) 0x\(hex16(line.flags))\n"
        }.joined().utf8)
        var config = [UInt8](repeating: 0, count: 256)
        config[0] = 0x86; config[1] = 0x80; config[2] = 0x10; config[3] = 0xa3
        config[0x0b] = 0x06; config[0x0a] = 0x04  // class 0x0604: PCI-PCI bridge
        config[0x0e] = 0x01  // header type 1
        files["\(directory)/config"] = config
    }

    mutating func setIOMem(_ text: String) { files["proc/iomem"] = Array(text.utf8) }

    /// A host-fact file (or any file) with `text`.
    mutating func setFile(_ path: String, _ text: String) { files[path] = Array(text.utf8) }

    /// A symbolic link at `path`; its name is listed in its directory.
    mutating func addLink(_ path: String, to target: String) { links[path] = target }

    /// An (empty) directory at `path`, and its parents.
    mutating func addDirectory(_ path: String) { directories.insert(path) }

    func contents(of path: String) throws -> [UInt8]? {
        if unreadable.contains(path) { throw UnreadableFile(path: path) }
        return files[path]
    }
    func linkTarget(of path: String) -> String? { links[path] }
    func entries(of path: String) throws -> [String]? {
        let prefix = path + "/"
        // A link names an entry of the directory holding it only (a function's `driver` link
        // does not make the function's directory exist).
        let paths = Array(files.keys) + Array(directories) + links.keys.filter { !$0.dropFirst(prefix.count).contains("/") }
        let names = Set(paths.filter { $0.hasPrefix(prefix) }.compactMap { $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init) })
        return names.isEmpty && !directories.contains(path) ? nil : names.sorted()
    }

    /// Writes the tree under a new temporary directory and returns it.
    func write() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-audit-\(UUID().uuidString)")
        for (path, bytes) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        for path in directories {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
        }
        for (path, target) in links {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(path).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(path).path, withDestinationPath: target)
        }
        return root
    }

    func host() throws -> HostInventory { try HostInventory.load(from: self) }
}

func hex16(_ value: UInt64) -> String { hex(value, 16) }

func hex(_ value: UInt64, _ width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
