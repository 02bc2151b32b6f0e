/// The snapshot document: the files `barproof audit` reads from a host, as one JSON object. It is
/// the only type that reads and writes it: `barproof snapshot` writes it (through `Snapshot.take`
/// in the Audit module, which also makes it a `SysfsFiles`, so a snapshot audits exactly as the
/// tree it was taken from), and a fixture's `topology.json` embeds one (`FixtureWriter`).
///
/// Version 2 (written; `docs/formats/snapshot.md`, `schemas/barproof-snapshot.schema.json`),
/// snake_case keys:
/// - `schema`: `barproof-snapshot`; `schema_version`: 2; `barproof_version` (optional): the
///   barproof that wrote it.
/// - `page_size`: the capturing host's page size in bytes, as a hex string (``HexWord``).
/// - `iomem`: the text of `proc/iomem`.
/// - `devices`: one object per `sys/bus/pci/devices/<bdf>` entry, keyed by its name: `resource`
///   (text), `config` (the scrubbed binary image as lowercase hex, two digits a byte), and when
///   present `vendor`, `device`, `class` (text), `iommu_group`, `driver` (link targets).
/// - `files`: every other file the audit read (the host facts: `proc/cmdline` cut to its
///   PCI/IOMMU/vfio words, `proc/sys/kernel/osrelease`, `proc/interrupts`, the IOMMU groups'
///   `type` and `reserved_regions`, module parameters, ...), path relative to the root → text.
/// - `directories`: every directory the audit listed beyond `sys/bus/pci/devices` (the IOMMU
///   groups and their `devices`, `sys/class/iommu`, ...), path → entry names, sorted. A path
///   in neither map did not exist on the host.
/// - `unreadable` (optional): paths that existed but that the capturing user could not read.
///
/// Version 1 (`schema` `barproof-snapshot/1`, read, not written): camelCase keys (`pageSize` a
/// JSON number, `kernelParameters` the kept command-line words, `iommuGroup`), no `files` or
/// `directories`; its `kernelParameters` read as `proc/cmdline` (an empty list as none).
public struct SnapshotDocument: Codable, Hashable, Sendable {
    /// The name version 2 writes in `schema`.
    public static let schemaName = "barproof-snapshot"
    public static let schemaVersion = 2
    /// The `schema` of version 1, which had no `schema_version`.
    public static let version1SchemaName = "barproof-snapshot/1"
    /// Where the kept command-line words are read from (version 1's `kernelParameters`).
    public static let commandLineFile = "proc/cmdline"

    public struct Device: Codable, Hashable, Sendable {
        public var resource: String
        /// The binary config image as lowercase hex, two digits a byte.
        public var config: String
        public var vendor: String?
        public var device: String?
        public var `class`: String?
        public var iommuGroup: String?
        public var driver: String?

        public init(resource: String, config: String, vendor: String? = nil, device: String? = nil,
                    class: String? = nil, iommuGroup: String? = nil, driver: String? = nil) {
            self.resource = resource
            self.config = config
            self.vendor = vendor
            self.device = device
            self.class = `class`
            self.iommuGroup = iommuGroup
            self.driver = driver
        }

        enum Version1Keys: String, CodingKey { case resource, config, vendor, device, `class`, iommuGroup, driver }
        enum Version2Keys: String, CodingKey {
            case resource, config, vendor, device, `class`, driver
            case iommuGroup = "iommu_group"
        }

        /// Reads either version's keys: `iommu_group` (version 2) or `iommuGroup` (version 1).
        public init(from decoder: any Decoder) throws {
            let v2 = try decoder.container(keyedBy: Version2Keys.self)
            resource = try v2.decode(String.self, forKey: .resource)
            config = try v2.decode(String.self, forKey: .config)
            vendor = try v2.decodeIfPresent(String.self, forKey: .vendor)
            device = try v2.decodeIfPresent(String.self, forKey: .device)
            `class` = try v2.decodeIfPresent(String.self, forKey: .class)
            driver = try v2.decodeIfPresent(String.self, forKey: .driver)
            let v1 = try decoder.container(keyedBy: Version1Keys.self)
            iommuGroup = try v2.decodeIfPresent(String.self, forKey: .iommuGroup)
                ?? v1.decodeIfPresent(String.self, forKey: .iommuGroup)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Version2Keys.self)
            try c.encode(resource, forKey: .resource)
            try c.encode(config, forKey: .config)
            try c.encodeIfPresent(vendor, forKey: .vendor)
            try c.encodeIfPresent(device, forKey: .device)
            try c.encodeIfPresent(`class`, forKey: .class)
            try c.encodeIfPresent(iommuGroup, forKey: .iommuGroup)
            try c.encodeIfPresent(driver, forKey: .driver)
        }
    }

    public var schema: String
    /// 2 for a version 2 document, 1 for a version 1 document (which has no such key).
    public var schemaVersion: Int
    public var barproofVersion: String?
    public var pageSize: UInt64
    public var iomem: String
    public var devices: [String: Device]
    /// Files the capturing user could not read, relative to the root; nil when there were none.
    public var unreadable: [String]?
    /// The other files read, path → text (version 1: only `proc/cmdline`, from `kernelParameters`).
    public var files: [String: String]
    /// The directories listed beyond `sys/bus/pci/devices`, path → sorted entry names.
    public var directories: [String: [String]]

    /// A version 2 document.
    public init(pageSize: UInt64, iomem: String, devices: [String: Device], files: [String: String] = [:],
                directories: [String: [String]] = [:], unreadable: [String]? = nil, barproofVersion: String? = nil) {
        self.schema = Self.schemaName
        self.schemaVersion = Self.schemaVersion
        self.barproofVersion = barproofVersion
        self.pageSize = pageSize
        self.iomem = iomem
        self.devices = devices
        self.files = files
        self.directories = directories
        self.unreadable = unreadable
    }

    /// The `proc/cmdline` words kept (version 1's `kernelParameters`).
    public var kernelParameters: [String] {
        (files[Self.commandLineFile] ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// Whether this is a document this barproof reads: version 2, or version 1.
    public static func isReadable(schema: String, version: Int?) -> Bool {
        (schema == schemaName && version == schemaVersion) || (schema == version1SchemaName && version == nil)
    }

    enum Version1Keys: String, CodingKey { case schema, pageSize, kernelParameters, iomem, devices, unreadable }
    enum Version2Keys: String, CodingKey {
        case schema, iomem, devices, unreadable, files, directories
        case schemaVersion = "schema_version"
        case barproofVersion = "barproof_version"
        case pageSize = "page_size"
    }

    /// Reads version 1 when `schema` is `barproof-snapshot/1`, else version 2's keys (a reader
    /// checks ``schema`` and ``schemaVersion`` with ``isReadable(schema:version:)``).
    public init(from decoder: any Decoder) throws {
        let v1 = try decoder.container(keyedBy: Version1Keys.self)
        let schema = try v1.decode(String.self, forKey: .schema)
        self.schema = schema
        if schema == Self.version1SchemaName {
            schemaVersion = 1
            barproofVersion = nil
            pageSize = try v1.decode(UInt64.self, forKey: .pageSize)
            iomem = try v1.decode(String.self, forKey: .iomem)
            devices = try v1.decode([String: Device].self, forKey: .devices)
            unreadable = try v1.decodeIfPresent([String].self, forKey: .unreadable)
            let words = try v1.decode([String].self, forKey: .kernelParameters)
            // An empty list is read as no command line: fixtures wrote one without having any.
            files = words.isEmpty ? [:] : [Self.commandLineFile: words.joined(separator: " ") + "\n"]
            directories = [:]
            return
        }
        let v2 = try decoder.container(keyedBy: Version2Keys.self)
        schemaVersion = try v2.decode(Int.self, forKey: .schemaVersion)
        barproofVersion = try v2.decodeIfPresent(String.self, forKey: .barproofVersion)
        pageSize = try v2.decode(HexWord.self, forKey: .pageSize).value
        iomem = try v2.decode(String.self, forKey: .iomem)
        devices = try v2.decode([String: Device].self, forKey: .devices)
        unreadable = try v2.decodeIfPresent([String].self, forKey: .unreadable)
        files = try v2.decode([String: String].self, forKey: .files)
        directories = try v2.decode([String: [String]].self, forKey: .directories)
    }

    /// Writes version 1's keys for a version 1 document (so that one read round-trips), else
    /// version 2's.
    public func encode(to encoder: any Encoder) throws {
        if schema == Self.version1SchemaName {
            var c = encoder.container(keyedBy: Version1Keys.self)
            try c.encode(schema, forKey: .schema)
            try c.encode(pageSize, forKey: .pageSize)
            try c.encode(kernelParameters, forKey: .kernelParameters)
            try c.encode(iomem, forKey: .iomem)
            try c.encode(devices, forKey: .devices)
            try c.encodeIfPresent(unreadable, forKey: .unreadable)
            return
        }
        var c = encoder.container(keyedBy: Version2Keys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encodeIfPresent(barproofVersion, forKey: .barproofVersion)
        try c.encode(HexWord(pageSize), forKey: .pageSize)
        try c.encode(iomem, forKey: .iomem)
        try c.encode(devices, forKey: .devices)
        try c.encodeIfPresent(unreadable, forKey: .unreadable)
        try c.encode(files, forKey: .files)
        try c.encode(directories, forKey: .directories)
    }
}
