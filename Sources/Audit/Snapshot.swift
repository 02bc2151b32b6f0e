import PCIModel

/// The snapshot document (``SnapshotDocument``, defined in PCIModel so that a fixture's
/// `topology.json` embeds the same type): a portable capture of exactly the files the audit
/// reads, as one JSON object. It is itself a ``SysfsFiles``, so a snapshot audits exactly as the
/// tree it was taken from: its PCI functions and `proc/iomem`, and its host facts
/// (``HostFacts``), which `take` records as ``HostFacts/read(from:)`` reads them.
///
/// A snapshot taken without root keeps what that user saw: 64-byte config images and an iomem
/// whose addresses are zeros, and audits the same way the tree would (incomplete).
public typealias Snapshot = SnapshotDocument

extension SnapshotDocument: SysfsFiles {
    /// The command-line words a snapshot keeps (``HostFacts/isPCIOrIOMMUParameter(_:)``).
    public static func isPCIOrIOMMUParameter(_ word: String) -> Bool { HostFacts.isPCIOrIOMMUParameter(word) }

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
    /// capability space, and a note says so). `vpd` is not captured, nor any file the audit does not read.
    ///
    /// What is captured is validated as the audit would read it, before and after the scrub: input
    /// that would audit as bad input (a missing `resource`, a config image that does not parse, a
    /// link that leaves the root, ...) throws here, naming the file, so that no snapshot is written
    /// that cannot be audited, and no file that is not what it claims to be (a secret behind a
    /// link) is carried off in one. Files that exist but cannot be read stay recorded as unreadable.
    ///
    /// The host facts are captured by reading them (``HostFacts/read(from:)``) through a recorder:
    /// every fact file read goes to `files` and every directory listed to `directories`, so the
    /// snapshot holds exactly what the facts were read from, and no more. `proc/cmdline` is
    /// recorded as `commandLine` cut to its kept words (``HostFacts/keptWords(of:)``), all that the
    /// facts read of it.
    public static func take(from files: some SysfsFiles, pageSize: UInt64, commandLine: String,
                            barproofVersion: String? = nil) throws(AuditInputError) -> (snapshot: Snapshot, notes: [String]) {
        var unreadable: [String] = []
        func read(_ path: String) throws(AuditInputError) -> [UInt8]? {
            switch try files.classifiedContents(of: path) {
            case .read(let bytes): return bytes
            case .unreadable(let error):
                unreadable.append(error.path)
                return []
            }
        }
        func text(_ path: String) throws(AuditInputError) -> String? { try read(path).map { String(decoding: $0, as: UTF8.self) } }
        guard let iomem = try text(HostInventory.iomemFile) else {
            throw AuditInputError(file: HostInventory.iomemFile, message: "missing")
        }
        let names = try files.deviceEntries()
        func hexDigits(_ bytes: [UInt8]) -> String {
            bytes.map { hexString($0, width: 2) }.joined()
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
        let recorder = FactRecorder(files: files, commandLine: commandLine)
        let facts = try HostFacts.read(from: recorder)
        unreadable += facts.unreadable
        let unread = unreadable.isEmpty ? nil : Array(Set(unreadable)).sorted()
        let snapshot = Snapshot(pageSize: pageSize, iomem: iomem, devices: devices, files: recorder.recorded,
                                directories: recorder.listed, unreadable: unread, barproofVersion: barproofVersion)
        var unscrubbed = snapshot
        unscrubbed.devices = asRead
        // What was read must audit (a scrub that hid bad input would make a snapshot that audits
        // where its tree does not), and so must what is written.
        for captured in [unscrubbed, snapshot] {
            do {
                _ = try HostInventory.load(from: captured)
            } catch where !error.unreadable {
                throw error
            } catch {}
        }
        return (snapshot, notes)
    }

    // MARK: SysfsFiles

    private static let devicesPrefix = Array((HostInventory.devicesDirectory + "/").utf8)

    private func split(_ path: String) -> (device: Device, file: String)? {
        // On UTF-8 indices: every file of every device is read through here.
        let utf8 = path.utf8, prefix = Self.devicesPrefix
        guard utf8.starts(with: prefix) else { return nil }
        let nameStart = utf8.index(utf8.startIndex, offsetBy: prefix.count)
        guard let slash = utf8[nameStart...].firstIndex(of: UInt8(ascii: "/")),
              let device = devices[String(path[nameStart..<slash])] else { return nil }
        return (device, String(path[utf8.index(after: slash)...]))
    }

    public func contents(of path: String) throws -> [UInt8]? {
        if let unreadable, unreadable.contains(path) { throw UnreadableFile(path: path, reason: "unreadable when the snapshot was taken") }
        if path == HostInventory.iomemFile { return Array(iomem.utf8) }
        guard let (device, file) = split(path) else { return files[path].map { Array($0.utf8) } }
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
        path == HostInventory.devicesDirectory ? devices.keys.sorted() : directories[path]
    }
}

/// ``SysfsFiles`` over another tree that remembers what was read: the texts of the files and the
/// names of the directories, for `SnapshotDocument.take`. Unreadable files are not recorded
/// (``HostFacts/unreadable`` lists them).
final class FactRecorder<Files: SysfsFiles>: SysfsFiles {
    let files: Files
    let commandLine: String
    private(set) var recorded: [String: String] = [:]
    private(set) var listed: [String: [String]] = [:]

    init(files: Files, commandLine: String) {
        self.files = files
        self.commandLine = commandLine
    }

    func contents(of path: String) throws -> [UInt8]? {
        if path == HostFacts.commandLineFile {
            // The words kept, not the whole line: root=, init= and the like stay on the host.
            guard try files.contents(of: path) != nil else { return nil }
            let kept = HostFacts.keptWords(of: commandLine).joined(separator: " ") + "\n"
            recorded[path] = kept
            return Array(kept.utf8)
        }
        guard let bytes = try files.contents(of: path) else { return nil }
        // Recorded as text and handed on as that text's bytes, so that the facts read here are
        // the facts read from the snapshot (an invalid UTF-8 byte reads the same in both).
        let text = String(decoding: bytes, as: UTF8.self)
        recorded[path] = text
        return Array(text.utf8)
    }

    func linkTarget(of path: String) -> String? { files.linkTarget(of: path) }

    func entries(of path: String) throws -> [String]? {
        guard let names = try files.entries(of: path) else { return nil }
        listed[path] = names.sorted()
        return names
    }
}
