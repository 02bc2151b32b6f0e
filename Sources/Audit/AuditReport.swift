import PCIModel
import VFIORules

// The audit's answer, and its JSON form: schema `barproof-audit` version 1 (docs/formats/audit.md,
// schemas/barproof-audit.schema.json). Keys are snake_case; addresses and sizes are "0x..." strings
// (``Hex``), since JSON readers whose numbers are doubles round values above 2^53.

/// A resource of the machine other than the BAR being audited.
public struct ForeignResource: Hashable, Sendable, Codable {
    /// `0000:00:02.0 BAR 0`, `0000:00:02.0 ROM`, `0000:00:02.0 VF BAR 1`, or `iomem "name"`.
    public var owner: String
    @Hex public var start: UInt64
    /// Inclusive.
    @Hex public var end: UInt64

    public init(owner: String, start: UInt64, end: UInt64) {
        self.owner = owner
        self.start = start
        self.end = end
    }
}

/// The rules' answer for one BAR under one assumption about MSI isolation and
/// `allow_unsafe_interrupts`.
public struct BARVerdict: Hashable, Sendable, Codable {
    public var msiIsolated: Bool
    /// The value of `allow_unsafe_interrupts` assumed; nil (JSON `null`) when it was not read, was
    /// evaluated both ways, and the answer is the same under both.
    public var allowUnsafeInterrupts: Bool?
    /// Every clause holds for an mmap of the whole BAR; nil (JSON `null`) when the input read does
    /// not decide it (``unknownClauses``).
    public var mmappable: Bool?
    /// The ids of the clauses that refuse it, in policy order; empty unless `mmappable` is false.
    public var refusedBy: [String]
    /// The ids of the invariants an allowed mmap violates.
    public var violations: [String]
    /// The ids of the invariants whose violation the input read does not decide.
    public var unknown: [String] = []
    /// The ids of the clauses the input read does not decide, when `mmappable` is unknown.
    public var unknownClauses: [String] = []

    public init(msiIsolated: Bool, allowUnsafeInterrupts: Bool?, mmappable: Bool?, refusedBy: [String], violations: [String],
                unknown: [String] = [], unknownClauses: [String] = []) {
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.mmappable = mmappable
        self.refusedBy = refusedBy
        self.violations = violations
        self.unknown = unknown
        self.unknownClauses = unknownClauses
    }

    enum CodingKeys: String, CodingKey {
        case mmappable, violations, unknown
        case msiIsolated = "msi_isolated", allowUnsafeInterrupts = "allow_unsafe_interrupts", refusedBy = "refused_by"
        case unknownClauses = "unknown_clauses"
    }

    /// Writes `mmappable` and `allow_unsafe_interrupts` as `null` when unknown, rather than leaving
    /// them out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(msiIsolated, forKey: .msiIsolated)
        try c.encode(allowUnsafeInterrupts, forKey: .allowUnsafeInterrupts)
        try c.encode(mmappable, forKey: .mmappable)
        try c.encode(refusedBy, forKey: .refusedBy)
        try c.encode(violations, forKey: .violations)
        try c.encode(unknown, forKey: .unknown)
        try c.encode(unknownClauses, forKey: .unknownClauses)
    }

    /// `verdicts` with each pair that differs only in the `allow_unsafe_interrupts` assumed (the
    /// two evaluations of one MSI-isolation assumption) made one verdict that assumes neither.
    static func merged(_ verdicts: [BARVerdict]) -> [BARVerdict] {
        var out: [BARVerdict] = []
        for verdict in verdicts {
            if let last = out.last, let assumed = last.allowUnsafeInterrupts, verdict.allowUnsafeInterrupts == !assumed,
               last.msiIsolated == verdict.msiIsolated {
                var either = verdict
                either.allowUnsafeInterrupts = nil
                var previous = last
                previous.allowUnsafeInterrupts = nil
                if previous == either {
                    out[out.count - 1] = either
                    continue
                }
            }
            out.append(verdict)
        }
        return out
    }
}

/// One memory BAR of a function bound (hypothetically) to vfio-pci.
public struct BARAudit: Hashable, Sendable, Codable {
    public var index: Int
    public var kind: String
    public var prefetchable: Bool
    @Hex public var start: UInt64
    /// Inclusive.
    @Hex public var end: UInt64
    @Hex public var size: UInt64
    /// The bytes an mmap of the whole BAR (offset 0, length the page-rounded size) would expose.
    @Hex public var exposedStart: UInt64
    /// Inclusive.
    @Hex public var exposedEnd: UInt64
    /// Resources of other devices (or of the platform) on the exposed pages, sorted by address:
    /// the first ``HostAudit/foreignListLimit`` of them.
    public var foreign: [ForeignResource]
    /// How many more foreign resources are on the exposed pages than ``foreign`` lists.
    public var foreignNotListed: Int = 0
    /// MSI-X table (PBA) bytes are among the exposed bytes; false when the function's MSI-X
    /// capability could not be read (`msixKnown` false), which ``unknownReasons`` then explains.
    public var msixTableExposed: Bool
    public var msixPBAExposed: Bool
    /// Whether the function has MSI-X, and where, was read (false for a 64-byte config image whose
    /// capability list lies past its end, or an unreadable config).
    public var msixKnown: Bool = true
    public var verdicts: [BARVerdict]
    /// The sysfs `resource` file and line the BAR came from.
    public var file: String?
    public var line: Int
    /// `violated` (some invariant is violated under some assumption), else `unknown` (some
    /// invariant's verdict is not decided by the input read), else `clean`.
    public var verdict: String = "clean"
    /// Why the verdicts in ``BARVerdict/unknown`` (and an unknown `mmappable`) are unknown: what
    /// could not be read.
    public var unknownReasons: [String] = []
    /// The BAR's findings a suppressions-file entry excuses (`barproof audit --suppressions`);
    /// nil (absent in JSON) when none.
    public var suppressed: [SuppressedFinding]?
    /// With `--baseline`, each of the BAR's findings as `new` or `unchanged`; nil without one.
    public var baseline: [BaselineFinding]?

    enum CodingKeys: String, CodingKey {
        case index, kind, prefetchable, start, end, size, foreign, verdicts, file, line, verdict, suppressed, baseline
        case exposedStart = "exposed_start", exposedEnd = "exposed_end", foreignNotListed = "foreign_not_listed"
        case msixTableExposed = "msix_table_exposed", msixPBAExposed = "msix_pba_exposed", msixKnown = "msix_known"
        case unknownReasons = "unknown_reasons"
    }

    public var mmappableUnderSomeAssumption: Bool { verdicts.contains { $0.mmappable != false } }
    public var violations: [String] { Array(Set(verdicts.flatMap(\.violations))).sorted() }
    /// Invariants unknown under some assumption and violated under none.
    public var unknownInvariants: [String] {
        Array(Set(verdicts.flatMap(\.unknown)).subtracting(violations)).sorted()
    }
}

/// Where a function's MSI-X table or PBA is: in which BAR, at which offset, how many bytes, and
/// the physical bytes that makes when the BAR is placed.
public struct MSIXStructure: Hashable, Sendable, Codable {
    /// The BAR Indicator Register: the BAR (0-5) holding the structure.
    public var bar: Int
    @Hex public var offset: UInt64
    /// Table: 16 bytes an entry; PBA: one bit an entry, in whole QWORDs.
    @Hex public var bytes: UInt64
    /// The physical range (inclusive), when the BAR is implemented and placed; nil otherwise.
    public var start: HexWord?
    public var end: HexWord?
}

/// A function's MSI-X capability as the audit read it from config space.
public struct MSIXLocation: Hashable, Sendable, Codable {
    /// Table Size + 1.
    public var entries: Int
    /// The capability's offset in config space, when known.
    public var capabilityOffset: HexWord?
    public var table: MSIXStructure
    public var pba: MSIXStructure

    enum CodingKeys: String, CodingKey {
        case entries, table, pba
        case capabilityOffset = "capability_offset"
    }
}

/// One PCI function.
public struct DeviceAudit: Hashable, Sendable, Codable {
    public var address: String
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var classCode: UInt32
    public var driver: String?
    public var iommuGroup: Int?
    /// Why the function is not audited (a bridge, which vfio-pci refuses to bind), if so.
    public var skipped: String?
    /// Facts about the device worth a reviewer's attention that no invariant covers, such as an
    /// MSI-X table that runs past its BAR.
    public var findings: [String]
    /// The MSI-X table and PBA; nil when the function has no MSI-X, or when it is unknown
    /// (``msixKnown`` false).
    public var msix: MSIXLocation?
    /// Whether the function's MSI-X capability (or its absence) was read.
    public var msixKnown: Bool = true
    public var bars: [BARAudit]
    /// Why the function could not be audited at all (its `resource` file could not be read), if so:
    /// its BARs are unknown, and so is every verdict about them.
    public var unread: String?

    enum CodingKeys: String, CodingKey {
        case address, driver, skipped, findings, msix, bars, unread
        case vendorID = "vendor_id", deviceID = "device_id", classCode = "class_code", iommuGroup = "iommu_group"
        case msixKnown = "msix_known"
    }

    public init(address: String, vendorID: UInt16, deviceID: UInt16, classCode: UInt32, driver: String?, iommuGroup: Int?,
                skipped: String?, findings: [String], msix: MSIXLocation? = nil, msixKnown: Bool = true, bars: [BARAudit],
                unread: String? = nil) {
        self.address = address
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.classCode = classCode
        self.driver = driver
        self.iommuGroup = iommuGroup
        self.skipped = skipped
        self.findings = findings
        self.msix = msix
        self.msixKnown = msixKnown
        self.bars = bars
        self.unread = unread
    }

    /// `vendor_id`, `device_id` and `class_code` are written as hex strings ("0x10de"), as lspci
    /// shows them.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(address, forKey: .address)
        try c.encode(HexWord(UInt64(vendorID)), forKey: .vendorID)
        try c.encode(HexWord(UInt64(deviceID)), forKey: .deviceID)
        try c.encode(HexWord(UInt64(classCode)), forKey: .classCode)
        try c.encode(driver, forKey: .driver)
        try c.encode(iommuGroup, forKey: .iommuGroup)
        try c.encodeIfPresent(skipped, forKey: .skipped)
        try c.encode(findings, forKey: .findings)
        try c.encode(msix, forKey: .msix)
        try c.encode(msixKnown, forKey: .msixKnown)
        try c.encode(bars, forKey: .bars)
        try c.encodeIfPresent(unread, forKey: .unread)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func narrow<T: FixedWidthInteger>(_ key: CodingKeys) throws -> T {
            let word = try c.decode(HexWord.self, forKey: key)
            guard let value = T(exactly: word.value) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(word) is too large")
            }
            return value
        }
        self.init(address: try c.decode(String.self, forKey: .address), vendorID: try narrow(.vendorID),
                  deviceID: try narrow(.deviceID), classCode: try narrow(.classCode),
                  driver: try c.decodeIfPresent(String.self, forKey: .driver),
                  iommuGroup: try c.decodeIfPresent(Int.self, forKey: .iommuGroup),
                  skipped: try c.decodeIfPresent(String.self, forKey: .skipped),
                  findings: try c.decode([String].self, forKey: .findings),
                  msix: try c.decodeIfPresent(MSIXLocation.self, forKey: .msix),
                  msixKnown: try c.decode(Bool.self, forKey: .msixKnown),
                  bars: try c.decode([BARAudit].self, forKey: .bars),
                  unread: try c.decodeIfPresent(String.self, forKey: .unread))
    }
}

/// A fact about the host the audit used (or reports), with the file or option it came from.
public struct ReportedFact: Hashable, Sendable, Codable {
    /// `kernel_release`, `msi_isolation`, `allow_unsafe_interrupts`, `iommu_groups`, ...
    public var name: String
    public var value: String
    /// The file, relative to the root, or the command-line option (`--kernel`).
    public var source: String

    public init(name: String, value: String, source: String) {
        self.name = name
        self.value = value
        self.source = source
    }
}

/// The audit of a whole machine: schema `barproof-audit` version 1.
public struct AuditReport: Hashable, Sendable, Codable {
    public static let schemaName = "barproof-audit"
    public static let schemaVersion = 1

    public var schema = AuditReport.schemaName
    public var schemaVersion = AuditReport.schemaVersion
    /// Set by the program that writes the document.
    public var barproofVersion: String?
    /// The host: the snapshot file or the sysfs root it was read from.
    public var host: String?
    public var policy: String
    @Hex public var pageSize: UInt64
    public var msiIsolation: MSIIsolation
    /// nil (JSON `null`) when not read: evaluated both ways.
    public var allowUnsafeInterrupts: Bool?
    /// What the audit read about the host, and where: each fact that chose a policy or a platform
    /// value, and those an operator should know.
    public var facts: [ReportedFact] = []
    /// Notes about the input (parser warnings, hidden iomem addresses).
    public var notes: [String]
    public var devices: [DeviceAudit]
    /// Each IOMMU group (and the functions in none): safe to pass through, or not and why, with remedies.
    public var groups: [GroupAudit] = []
    /// Unknown verdicts do not make the exit code 2 (`--allow-incomplete`).
    public var allowIncomplete: Bool = false
    /// `violated`, else `incomplete` (some verdict unknown, or a function not read), else `clean`;
    /// findings a suppression or the baseline excuses do not count.
    public var status: String = "clean"
    /// The suppressions file the findings were matched against (`--suppressions`), if any.
    public var suppressionsFile: String?
    /// The report given as `--baseline`, if any.
    public var baselineFile: String?

    enum CodingKeys: String, CodingKey {
        case schema, host, policy, facts, notes, devices, groups, status
        case schemaVersion = "schema_version", barproofVersion = "barproof_version", pageSize = "page_size"
        case msiIsolation = "msi_isolation", allowUnsafeInterrupts = "allow_unsafe_interrupts"
        case allowIncomplete = "allow_incomplete", violationCount = "violation_count", unknownCount = "unknown_count"
        case unreadCount = "unread_count", exitCode = "exit_code"
        case suppressionsFile = "suppressions", suppressedCount = "suppressed_count"
        case baselineFile = "baseline", baselineUnchangedCount = "baseline_unchanged_count"
    }

    public init(policy: String, pageSize: UInt64, msiIsolation: MSIIsolation, allowUnsafeInterrupts: Bool?, notes: [String],
                devices: [DeviceAudit], allowIncomplete: Bool = false) {
        self.policy = policy
        self.pageSize = pageSize
        self.msiIsolation = msiIsolation
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.notes = notes
        self.devices = devices
        self.allowIncomplete = allowIncomplete
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encodeIfPresent(barproofVersion, forKey: .barproofVersion)
        try c.encode(host, forKey: .host)
        try c.encode(policy, forKey: .policy)
        try c.encode(HexWord(pageSize), forKey: .pageSize)
        try c.encode(msiIsolation, forKey: .msiIsolation)
        try c.encode(allowUnsafeInterrupts, forKey: .allowUnsafeInterrupts)
        try c.encode(facts, forKey: .facts)
        try c.encode(notes, forKey: .notes)
        try c.encode(devices, forKey: .devices)
        try c.encode(groups, forKey: .groups)
        try c.encode(allowIncomplete, forKey: .allowIncomplete)
        try c.encode(status, forKey: .status)
        try c.encode(violationCount, forKey: .violationCount)
        try c.encode(unknownCount, forKey: .unknownCount)
        try c.encode(unreadCount, forKey: .unreadCount)
        try c.encode(Int(exitCode), forKey: .exitCode)
        if let suppressionsFile {
            try c.encode(suppressionsFile, forKey: .suppressionsFile)
            try c.encode(suppressedCount, forKey: .suppressedCount)
        }
        if let baselineFile {
            try c.encode(baselineFile, forKey: .baselineFile)
            try c.encode(baselineUnchangedCount, forKey: .baselineUnchangedCount)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        barproofVersion = try c.decodeIfPresent(String.self, forKey: .barproofVersion)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        policy = try c.decode(String.self, forKey: .policy)
        pageSize = try c.decode(HexWord.self, forKey: .pageSize).value
        msiIsolation = try c.decode(MSIIsolation.self, forKey: .msiIsolation)
        allowUnsafeInterrupts = try c.decodeIfPresent(Bool.self, forKey: .allowUnsafeInterrupts)
        facts = try c.decode([ReportedFact].self, forKey: .facts)
        notes = try c.decode([String].self, forKey: .notes)
        devices = try c.decode([DeviceAudit].self, forKey: .devices)
        groups = try c.decode([GroupAudit].self, forKey: .groups)
        allowIncomplete = try c.decode(Bool.self, forKey: .allowIncomplete)
        status = try c.decode(String.self, forKey: .status)
        suppressionsFile = try c.decodeIfPresent(String.self, forKey: .suppressionsFile)
        baselineFile = try c.decodeIfPresent(String.self, forKey: .baselineFile)
    }

    /// Number of (BAR, invariant) pairs violated under some assumption.
    public var violationCount: Int { devices.reduce(0) { $0 + $1.bars.reduce(0) { $0 + $1.violations.count } } }
    /// Number of (BAR, invariant) pairs unknown under some assumption and violated under none.
    public var unknownCount: Int { devices.reduce(0) { $0 + $1.bars.reduce(0) { $0 + $1.unknownInvariants.count } } }
    /// Functions whose resources could not be read.
    public var unreadCount: Int { devices.count { $0.unread != nil } }
    /// Some invariant is violated, and no suppression or baseline excuses it.
    public var violated: Bool { violationCount > excusedViolationCount }
    /// Some verdict is not decided by the input read (and not excused): the audit is not a pass.
    public var incomplete: Bool { unknownCount > excusedUnknownCount || unreadCount > 0 }

    /// What `barproof audit` exits with: 1 when an invariant is violated on what could be read
    /// (whatever else is unknown), else 2 when the audit is incomplete (unless allowed), else 0.
    public var exitCode: Int32 { violated ? 1 : incomplete && !allowIncomplete ? 2 : 0 }
}
