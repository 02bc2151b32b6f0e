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

    /// The file exists but this user may not read it.
    public var unreadable: Bool = false

    public init(file: String, message: String, unreadable: Bool = false) {
        self.file = file
        self.parseError = nil
        self.message = message
        self.unreadable = unreadable
    }

    public var description: String { "\(file): \(message)" }
}

/// What reading one file through a ``SysfsFiles`` gave.
enum FileRead {
    /// Its bytes, or nil when it does not exist.
    case read([UInt8]?)
    /// It exists but this user may not read it.
    case unreadable(UnreadableFile)
}

extension SysfsFiles {
    /// Reads `path`, telling a file this user may not read (``UnreadableFile``) from bad input:
    /// an ``AuditInputError`` passes through, and any other failure becomes one naming the file.
    /// The audit, the snapshot and the host facts each decide what an unreadable file means.
    func classifiedContents(of path: String) throws(AuditInputError) -> FileRead {
        do { return .read(try contents(of: path)) } catch let error as UnreadableFile {
            return .unreadable(error)
        } catch let error as AuditInputError {
            throw error
        } catch {
            throw AuditInputError(file: path, message: "cannot read: \(error)")
        }
    }

    /// The entries of `sys/bus/pci/devices`, sorted; a tree without it is not a sysfs root.
    func deviceEntries() throws(AuditInputError) -> [String] {
        let directory = HostInventory.devicesDirectory
        do {
            guard let found = try entries(of: directory) else {
                throw AuditInputError(file: directory, message: "missing: not a sysfs root")
            }
            return found.sorted()
        } catch let error as AuditInputError {
            throw error
        } catch {
            throw AuditInputError(file: directory, message: "cannot list: \(error)")
        }
    }
}

/// A machine as the audit sees it: every PCI function and the kernel's memory resource tree.
public struct HostInventory: Sendable {
    public var devices: [PCIDevice]
    public var iomem: ResourceTree
    /// The sysfs directory each function came from, relative to the root, for findings.
    public var directories: [PCIAddress: String]
    /// The parsers' warnings about readable but odd input, each prefixed with its file.
    public var warnings: [String]
    /// What could not be read (a 64-byte config, hidden iomem addresses, an unreadable file).
    public var gaps: InputGaps
    /// What the host says about itself beyond its PCI functions (kernel release, IOMMU groups,
    /// vfio's module parameters, interrupt remapping, command line), each with its file.
    public var facts: HostFacts

    public init(devices: [PCIDevice], iomem: ResourceTree, directories: [PCIAddress: String] = [:],
                warnings: [String] = [], gaps: InputGaps = InputGaps(), facts: HostFacts = HostFacts()) {
        self.facts = facts
        self.devices = devices.sorted { $0.address < $1.address }
        self.iomem = iomem
        self.directories = directories
        self.warnings = warnings
        self.gaps = gaps
    }

    public static let devicesDirectory = "sys/bus/pci/devices"
    public static let iomemFile = "proc/iomem"

    /// Reads `sys/bus/pci/devices/*/{resource,config,vendor,device,class,iommu_group,driver}` and
    /// `proc/iomem` through `files`, and the host facts (``HostFacts/read(from:)``). `resource`,
    /// `config` and `proc/iomem` are required; the text attributes, links and fact files are used
    /// when present (a malformed fact file is bad input too).
    ///
    /// A required file that is missing or malformed is bad input (``AuditInputError``). One that
    /// exists but cannot be read by this user (``UnreadableFile``), a 64-byte config image whose
    /// capability list lies past its end, and an iomem tree that hides its addresses are not errors:
    /// they are recorded in ``gaps`` and the audit leaves the verdicts they decide `unknown`.
    public static func load(from files: some SysfsFiles) throws(AuditInputError) -> HostInventory {
        var gaps = InputGaps()
        func read(_ path: String) throws(AuditInputError) -> [UInt8]? {
            switch try files.classifiedContents(of: path) {
            case .read(let bytes): return bytes
            case .unreadable(let error):
                throw AuditInputError(file: error.path, message: "cannot read (\(error.reason))", unreadable: true)
            }
        }
        func required(_ path: String) throws(AuditInputError) -> [UInt8] {
            guard let bytes = try read(path) else { throw AuditInputError(file: path, message: "missing") }
            return bytes
        }
        /// A required file, or nil with the sentence that says why when this user may not read it.
        func readable(_ path: String) throws(AuditInputError) -> Result<[UInt8], AuditInputError> {
            do { return .success(try required(path)) } catch where error.unreadable { return .failure(error) }
        }
        func parsed<T>(_ path: String, _ parse: () throws(ParseError) -> T) throws(AuditInputError) -> T {
            do { return try parse() } catch { throw AuditInputError(file: path, parseError: error) }
        }

        let iomem: ResourceTree
        switch try readable(iomemFile) {
        case .success(let bytes):
            iomem = try parsed(iomemFile) { () throws(ParseError) in try ResourceTree(parsingProcIOMem: bytes) }
            if iomem.hidesAddresses {
                gaps.iomem = "\(iomemFile) hides addresses (read without CAP_SYS_ADMIN), so the resource tree is unknown: "
                    + "parent windows, platform resources and which window holds which BAR"
            } else if iomem.roots.isEmpty {
                gaps.iomem = "\(iomemFile) is empty, so the resource tree is unknown: parent windows, platform resources "
                    + "and which window holds which BAR"
            }
        case .failure(let error):
            iomem = ResourceTree(roots: [])
            gaps.iomem = "\(error.file) \(error.message), so the resource tree is unknown: parent windows, platform "
                + "resources and which window holds which BAR"
        }
        let names = try files.deviceEntries()

        var devices: [PCIDevice] = []
        var directories: [PCIAddress: String] = [:]
        var warnings = iomem.warnings.map { "\(iomemFile): \($0)" }
        // `0000:00:01.0` and `00:01.0` name one function: two directories for it would audit it
        // twice, each copy seeing the other as a foreign device.
        var entryOf: [PCIAddress: String] = [:]
        for name in names {
            let directory = "\(devicesDirectory)/\(name)"
            let address = try parsed(directory) { () throws(ParseError) in try PCIAddress(parsing: name) }
            if let first = entryOf[address] {
                throw AuditInputError(file: directory, message: "names function \(address), as \(devicesDirectory)/\(first) "
                                      + "does: one directory per function")
            }
            entryOf[address] = name
            let resourcePath = "\(directory)/resource", configPath = "\(directory)/config"
            let resourceBytes: [UInt8]
            switch try readable(resourcePath) {
            case .success(let bytes): resourceBytes = bytes
            case .failure(let error):
                gaps.functions[name] = "\(error.file) \(error.message)"
                continue
            }
            let resources = try parsed(resourcePath) { () throws(ParseError) in try SysfsResourceFile(parsing: resourceBytes) }
            warnings += resources.warnings.map { "\(resourcePath): \($0)" }
            var config: ConfigSpace?
            switch try readable(configPath) {
            case .success(let configBytes):
                let image = try parsed(configPath) { () throws(ParseError) in try ConfigSpace(bytes: configBytes) }
                warnings += image.warnings.map { "\(configPath): \($0)" }
                if image.capabilityListCutOff {
                    gaps.capabilities[address] = "\(configPath) has only the 64-byte header (read without CAP_SYS_ADMIN): "
                        + "the capability list at \(hexText(UInt64(image.bytes[0x34]))) cannot be walked, so whether "
                        + "the function has MSI-X, and where its table is, is unknown"
                }
                config = image
            case .failure(let error):
                gaps.config[address] = "\(error.file) \(error.message): the header type and whether the function has "
                    + "MSI-X are unknown"
            }
            /// A text attribute; one this user may not read is left out, as the config header has the same facts.
            func attribute<T>(_ file: String, _ parse: ([UInt8]) throws(ParseError) -> T) throws(AuditInputError) -> T? {
                let path = "\(directory)/\(file)"
                let found: [UInt8]?
                do { found = try read(path) } catch where error.unreadable { return nil }
                guard let bytes = found else { return nil }
                return try parsed(path) { () throws(ParseError) in try parse(bytes) }
            }
            func link<T>(_ file: String, _ parse: (String) throws(ParseError) -> T) throws(AuditInputError) -> T? {
                let path = "\(directory)/\(file)"
                guard let target = files.linkTarget(of: path) else { return nil }
                return try parsed(path) { () throws(ParseError) in try parse(target) }
            }
            let vendor = try attribute("vendor") { (bytes) throws(ParseError) in try SysfsAttribute.parseVendor(bytes: bytes) }
            let deviceID = try attribute("device") { (bytes) throws(ParseError) in try SysfsAttribute.parseDevice(bytes: bytes) }
            let classCode = try attribute("class") { (bytes) throws(ParseError) in try SysfsAttribute.parseClass(bytes: bytes) }
            let group = try link("iommu_group", SysfsAttribute.parseIOMMUGroupLink)
            let driver = try link("driver", SysfsAttribute.parseDriverLink)
            let device: PCIDevice
            if let config {
                device = PCIDevice(address: address, resources: resources, config: config, vendorID: vendor, deviceID: deviceID,
                                   classCode: classCode, iommuGroup: group, driver: driver)
            } else {
                // Without config space: the placement from `resource`, read as a normal-header function
                // without MSI-X; the audit leaves open what the header and MSI-X would decide.
                device = PCIDevice(address: address, vendorID: vendor ?? 0, deviceID: deviceID ?? 0, classCode: classCode ?? 0,
                                   bars: resources.bars, rom: resources.rom, bridgeWindows: resources.bridgeWindows,
                                   sriovBARs: resources.sriovBARs, iommuGroup: group, driver: driver)
            }
            devices.append(device)
            directories[address] = directory
        }
        let facts = try HostFacts.read(from: files)
        return HostInventory(devices: devices, iomem: iomem, directories: directories, warnings: warnings, gaps: gaps,
                             facts: facts)
    }
}
