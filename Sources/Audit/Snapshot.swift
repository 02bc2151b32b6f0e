import PCIModel

/// A portable capture of exactly the files the audit reads, plus the page size and the PCI/IOMMU
/// kernel parameters, as one JSON document. It is itself a ``SysfsFiles``, so a snapshot audits
/// exactly as the tree it was taken from.
///
/// Schema `barproof-snapshot/1` (JSON object):
/// - `schema`: the string `barproof-snapshot/1`.
/// - `pageSize`: the capturing host's page size in bytes.
/// - `kernelParameters`: the `/proc/cmdline` words that configure PCI, the IOMMU or vfio
///   (`pci=`, `iommu=`, `intel_iommu=`, `amd_iommu=`, `vfio*`, ...), in command-line order.
/// - `iomem`: the text of `proc/iomem`.
/// - `devices`: one object per `sys/bus/pci/devices/<bdf>` entry, keyed by the entry's name, with
///   `resource` (text), `config` (the binary image as lowercase hex, two digits a byte, with Device
///   Serial Numbers, VPD data and vendor-specific capability data zeroed), and,
///   when present, `vendor`, `device`, `class` (text) and `iommuGroup`, `driver` (link targets).
/// - `unreadable` (optional): the paths, relative to the root, of files that exist but that the
///   capturing user could not read; their fields are empty strings. Auditing the snapshot treats
///   them as the tree did: unreadable, so the verdicts that need them are unknown.
///
/// A snapshot taken without root keeps what that user saw: 64-byte config images and an iomem
/// whose addresses are zeros, and audits the same way the tree would (incomplete).
public struct Snapshot: Codable, Hashable, Sendable, SysfsFiles {
    public static let schemaName = "barproof-snapshot/1"

    public struct Device: Codable, Hashable, Sendable {
        public var resource: String
        /// The config image in hex, two digits a byte.
        public var config: String
        public var vendor: String?
        public var device: String?
        public var `class`: String?
        public var iommuGroup: String?
        public var driver: String?
    }

    public var schema: String
    public var pageSize: UInt64
    public var kernelParameters: [String]
    public var iomem: String
    public var devices: [String: Device]
    /// Files the capturing user could not read, relative to the root; nil when there were none.
    public var unreadable: [String]?

    /// The command-line words a snapshot keeps.
    public static func isPCIOrIOMMUParameter(_ word: String) -> Bool {
        ["pci=", "iommu", "intel_iommu=", "amd_iommu", "vfio", "pcie_", "noiommu", "swiotlb="].contains { word.hasPrefix($0) }
    }

    /// Captures the files the audit reads from `files`; ``take(from:pageSize:commandLine:)``
    /// without its notes.
    public static func capture(from files: some SysfsFiles, pageSize: UInt64, commandLine: String) throws(AuditInputError) -> Snapshot {
        try take(from: files, pageSize: pageSize, commandLine: commandLine).snapshot
    }

    /// Captures the files the audit reads from `files`, scrubbed, and says what the scrub did.
    ///
    /// Every config image is scrubbed (``ConfigSpace/scrubbedForSnapshot(_:)``: Device Serial
    /// Numbers, VPD data and vendor-specific capability data zeroed, with a tolerant walk that
    /// does not need the image to parse; an image whose lists cannot be walked loses its whole
    /// capability space, and a note says so). `vpd` and other sysfs files are not captured.
    ///
    /// What is captured is validated as the audit would read it, before and after the scrub: input
    /// that would audit as bad input (a missing `resource`, a config image that does not parse, a
    /// link that leaves the root, ...) throws here, naming the file, so that no snapshot is written
    /// that cannot be audited, and no file that is not what it claims to be (a secret behind a
    /// link) is carried off in one. Files that exist but cannot be read stay recorded as unreadable.
    public static func take(from files: some SysfsFiles, pageSize: UInt64,
                            commandLine: String) throws(AuditInputError) -> (snapshot: Snapshot, notes: [String]) {
        var unreadable: [String] = []
        func read(_ path: String) throws(AuditInputError) -> [UInt8]? {
            do { return try files.contents(of: path) } catch let error as UnreadableFile {
                unreadable.append(error.path)
                return []
            } catch let error as AuditInputError {
                throw error
            } catch {
                throw AuditInputError(file: path, message: "cannot read: \(error)")
            }
        }
        func text(_ path: String) throws(AuditInputError) -> String? { try read(path).map { String(decoding: $0, as: UTF8.self) } }
        guard let iomem = try text(HostInventory.iomemFile) else {
            throw AuditInputError(file: HostInventory.iomemFile, message: "missing")
        }
        let names: [String]
        do {
            guard let found = try files.entries(of: HostInventory.devicesDirectory) else {
                throw AuditInputError(file: HostInventory.devicesDirectory, message: "missing: not a sysfs root")
            }
            names = found.sorted()
        } catch let error as AuditInputError {
            throw error
        } catch {
            throw AuditInputError(file: HostInventory.devicesDirectory, message: "cannot list: \(error)")
        }
        func hexDigits(_ bytes: [UInt8]) -> String {
            bytes.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
        }
        var asRead: [String: Device] = [:]
        var devices: [String: Device] = [:]
        var notes: [String] = []
        for name in names {
            let directory = "\(HostInventory.devicesDirectory)/\(name)"
            guard let resource = try text("\(directory)/resource") else {
                throw AuditInputError(file: "\(directory)/resource", message: "missing")
            }
            guard let config = try read("\(directory)/config") else {
                throw AuditInputError(file: "\(directory)/config", message: "missing")
            }
            let scrubbed = ConfigSpace.scrubbedForSnapshot(config)
            notes += scrubbed.notes.map { "\(directory)/config: \($0)" }
            let device = Device(
                resource: resource, config: hexDigits(config), vendor: try text("\(directory)/vendor"),
                device: try text("\(directory)/device"), class: try text("\(directory)/class"),
                iommuGroup: files.linkTarget(of: "\(directory)/iommu_group"), driver: files.linkTarget(of: "\(directory)/driver"))
            asRead[name] = device
            var clean = device
            clean.config = hexDigits(scrubbed.bytes)
            devices[name] = clean
        }
        let parameters = commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            .filter(isPCIOrIOMMUParameter)
        let unread = unreadable.isEmpty ? nil : unreadable.sorted()
        let snapshot = Snapshot(schema: schemaName, pageSize: pageSize, kernelParameters: parameters, iomem: iomem,
                                devices: devices, unreadable: unread)
        // What was read must audit (a scrub that hid bad input would make a snapshot that audits
        // where its tree does not), and so must what is written.
        for captured in [Snapshot(schema: schemaName, pageSize: pageSize, kernelParameters: parameters, iomem: iomem,
                                  devices: asRead, unreadable: unread), snapshot] {
            do {
                _ = try HostInventory.load(from: captured)
            } catch where !error.unreadable {
                throw error
            } catch {}
        }
        return (snapshot, notes)
    }

    // MARK: SysfsFiles

    private func split(_ path: String) -> (device: Device, file: String)? {
        let prefix = HostInventory.devicesDirectory + "/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count).split(separator: "/", maxSplits: 1).map(String.init)
        guard rest.count == 2, let device = devices[rest[0]] else { return nil }
        return (device, rest[1])
    }

    public func contents(of path: String) throws -> [UInt8]? {
        if let unreadable, unreadable.contains(path) { throw UnreadableFile(path: path, reason: "unreadable when the snapshot was taken") }
        if path == HostInventory.iomemFile { return Array(iomem.utf8) }
        guard let (device, file) = split(path) else { return nil }
        let text: String?
        switch file {
        case "resource": text = device.resource
        case "config": return try Self.bytes(fromHex: device.config, path: path)
        case "vendor": text = device.vendor
        case "device": text = device.device
        case "class": text = device.class
        default: text = nil
        }
        return text.map { Array($0.utf8) }
    }

    static func bytes(fromHex text: String, path: String) throws(AuditInputError) -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else {
            throw AuditInputError(file: path, message: "snapshot config has an odd number of hex digits (\(digits.count))")
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else {
                throw AuditInputError(file: path, message: "snapshot config has a non-hex character at character \(i + 1)")
            }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public func linkTarget(of path: String) -> String? {
        guard let (device, file) = split(path) else { return nil }
        switch file {
        case "iommu_group": return device.iommuGroup
        case "driver": return device.driver
        default: return nil
        }
    }

    public func entries(of path: String) throws -> [String]? {
        path == HostInventory.devicesDirectory ? devices.keys.sorted() : nil
    }
}
