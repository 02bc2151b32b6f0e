import PCIModel

/// Read access to a sysfs-shaped tree. The `barproof` executable implements it over the file
/// system; tests implement it over a dictionary. Paths are relative to the tree's root, such as
/// `sys/bus/pci/devices/0000:00:01.0/resource`.
public protocol SysfsFiles {
    /// The bytes of the file at `path`, or nil when it does not exist.
    func contents(of path: String) throws -> [UInt8]?
    /// The target of the symbolic link at `path`, or nil when there is none.
    func linkTarget(of path: String) -> String?
    /// The names in the directory at `path`, or nil when it does not exist.
    func entries(of path: String) throws -> [String]?
}

/// Input that cannot be audited: the file (relative to the root) and what is wrong with it,
/// with the parser's line and column when there is one. The CLI maps it to exit code 65.
public struct AuditInputError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var parseError: ParseError?
    public var message: String

    public init(file: String, parseError: ParseError) {
        self.file = file
        self.parseError = parseError
        self.message = parseError.description
    }

    public init(file: String, message: String) {
        self.file = file
        self.parseError = nil
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// A machine as the audit sees it: every PCI function and the kernel's memory resource tree.
public struct HostInventory: Sendable {
    public var devices: [PCIDevice]
    public var iomem: ResourceTree
    /// The sysfs directory each function came from, relative to the root, for findings.
    public var directories: [PCIAddress: String]
    /// The parsers' warnings about readable but odd input, each prefixed with its file.
    public var warnings: [String]

    public init(devices: [PCIDevice], iomem: ResourceTree, directories: [PCIAddress: String] = [:],
                warnings: [String] = []) {
        self.devices = devices.sorted { $0.address < $1.address }
        self.iomem = iomem
        self.directories = directories
        self.warnings = warnings
    }

    public static let devicesDirectory = "sys/bus/pci/devices"
    public static let iomemFile = "proc/iomem"

    /// Reads `sys/bus/pci/devices/*/{resource,config,vendor,device,class,iommu_group,driver}` and
    /// `proc/iomem` through `files`. `resource`, `config` and `proc/iomem` are required; the text
    /// attributes and links are used when present.
    public static func load(from files: some SysfsFiles) throws(AuditInputError) -> HostInventory {
        func read(_ path: String) throws(AuditInputError) -> [UInt8]? {
            do { return try files.contents(of: path) } catch {
                throw AuditInputError(file: path, message: "cannot read: \(error)")
            }
        }
        func required(_ path: String) throws(AuditInputError) -> [UInt8] {
            guard let bytes = try read(path) else { throw AuditInputError(file: path, message: "missing") }
            return bytes
        }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        func parsed<T>(_ path: String, _ parse: () throws(ParseError) -> T) throws(AuditInputError) -> T {
            do { return try parse() } catch { throw AuditInputError(file: path, parseError: error) }
        }

        let iomemText = text(try required(iomemFile))
        let iomem = try parsed(iomemFile) { () throws(ParseError) in try ResourceTree(parsingProcIOMem: iomemText) }
        let names: [String]
        do {
            guard let found = try files.entries(of: devicesDirectory) else {
                throw AuditInputError(file: devicesDirectory, message: "missing: not a sysfs root")
            }
            names = found.sorted()
        } catch let error as AuditInputError {
            throw error
        } catch {
            throw AuditInputError(file: devicesDirectory, message: "cannot list: \(error)")
        }

        var devices: [PCIDevice] = []
        var directories: [PCIAddress: String] = [:]
        var warnings = iomem.warnings.map { "\(iomemFile): \($0)" }
        for name in names {
            let directory = "\(devicesDirectory)/\(name)"
            let address = try parsed(directory) { () throws(ParseError) in try PCIAddress(parsing: name) }
            let resourcePath = "\(directory)/resource", configPath = "\(directory)/config"
            let resourceText = text(try required(resourcePath))
            let resources = try parsed(resourcePath) { () throws(ParseError) in try SysfsResourceFile(parsing: resourceText) }
            let configBytes = try required(configPath)
            let config = try parsed(configPath) { () throws(ParseError) in try ConfigSpace(bytes: configBytes) }
            warnings += resources.warnings.map { "\(resourcePath): \($0)" } + config.warnings.map { "\(configPath): \($0)" }
            func attribute<T>(_ file: String, _ parse: (String) throws(ParseError) -> T) throws(AuditInputError) -> T? {
                let path = "\(directory)/\(file)"
                guard let bytes = try read(path) else { return nil }
                return try parsed(path) { () throws(ParseError) in try parse(text(bytes)) }
            }
            func link<T>(_ file: String, _ parse: (String) throws(ParseError) -> T) throws(AuditInputError) -> T? {
                let path = "\(directory)/\(file)"
                guard let target = files.linkTarget(of: path) else { return nil }
                return try parsed(path) { () throws(ParseError) in try parse(target) }
            }
            let device = PCIDevice(
                address: address, resources: resources, config: config,
                vendorID: try attribute("vendor", SysfsAttribute.parseVendor),
                deviceID: try attribute("device", SysfsAttribute.parseDevice),
                classCode: try attribute("class", SysfsAttribute.parseClass),
                iommuGroup: try link("iommu_group", SysfsAttribute.parseIOMMUGroupLink),
                driver: try link("driver", SysfsAttribute.parseDriverLink))
            devices.append(device)
            directories[address] = directory
        }
        return HostInventory(devices: devices, iomem: iomem, directories: directories, warnings: warnings)
    }
}
