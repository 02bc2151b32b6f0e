import Foundation
import PCIModel
import Prover
import Reports
import VFIORules

/// Writes a ``TopologyCounterexample`` as a fixture folder that real tools read:
///
/// - `topology.json`: the counterexample and the rendered files, schema `barproof-topology`
///   version 2 (``TopologyDocument``); `barproof audit topology.json` audits it;
/// - `sys/bus/pci/devices/<bdf>/{resource,config,vendor,device,class,subsystem_vendor,
///   subsystem_device,revision,irq}` and `proc/iomem`, in the kernel's formats;
///   `barproof audit --sysfs <folder>` audits it;
/// - `machine.umockdev`: the same devices and attributes in umockdev's record format
///   (``Topology/umockdevRecord(resourceLines:)``), for `umockdev-run --device machine.umockdev`;
/// - `memory-map.svg` (``MemoryMapSVG``);
/// - `README.md`: what is violated, through which clause, and the commands that reproduce it.
///
/// Rendering (``files(for:)``) is pure; ``write(_:to:)`` builds the folder under a staging name
/// beside the target and renames it into place, so a failed or killed write leaves nothing
/// half-written (and an existing folder of that name untouched).
public struct FixtureWriter: Sendable {
    /// The spec the counterexample came from, copied into the folder under its own file name, so
    /// the README's `barproof search` command runs there as written.
    public var spec: SpecCopy?
    /// The check (`--check ID`) within that spec.
    public var checkID: String?
    /// A mitigation proved on the machine (`search --suggest`), for the README.
    public var mitigation: String?
    /// `barproof_version` of `topology.json`: the barproof executable passes its own; library
    /// users (the tests) that pass none write `unknown`.
    public var barproofVersion: String
    /// How many lines each `resource` file has: a kernel with `CONFIG_PCI_IOV` (13 for a
    /// function, the default) or without (7); `search --resource-lines`.
    public var resourceLines: Topology.ResourceLines

    public init(spec: SpecCopy? = nil, checkID: String? = nil, mitigation: String? = nil, barproofVersion: String = "unknown",
                resourceLines: Topology.ResourceLines = .withIOV) {
        self.spec = spec
        self.checkID = checkID
        self.mitigation = mitigation
        self.barproofVersion = barproofVersion
        self.resourceLines = resourceLines
    }

    public static let topologyFile = "topology.json"
    public static let svgFile = "memory-map.svg"
    public static let readmeFile = "README.md"
    public static let umockdevFile = "machine.umockdev"
    /// At most this many exposed pages are listed in the summary.
    static let listedPages = 64

    /// The folder's files by relative path.
    ///
    /// - Throws: ``FixtureError`` when the topology could not come from a real allocator
    ///   (`placementProblems(unalignedFixedAllowed:)`), cannot be encoded in config space, or does not hold the target
    ///   or foreign BAR.
    public func files(for cx: TopologyCounterexample) throws(FixtureError) -> [String: [UInt8]] {
        let t = cx.topology
        let problems = t.placementProblems(unalignedFixedAllowed: cx.platform.unalignedFixedResources) + t.encodingProblems()
        guard problems.isEmpty else {
            throw FixtureError("the topology cannot be written as a fixture: " + problems.joined(separator: "; "))
        }
        guard let target = t.function(cx.target.function)?.bar(cx.target.index), target.kind.isMemory else {
            throw FixtureError("the topology has no memory BAR \(cx.target)")
        }
        if let foreign = cx.foreign, t.function(foreign.function)?.bar(foreign.index) == nil {
            throw FixtureError("the topology has no BAR \(foreign)")
        }
        guard cx.exposed.start <= cx.exposed.end, cx.requestLength > 0 else {
            throw FixtureError("the exposed range \(cx.exposed) is empty or wraps")
        }
        guard let page = cx.page, cx.platform.pageSize == t.pageSize else {
            throw FixtureError("page size \(cx.platform.pageSize) (topology \(t.pageSize)) is not a power of two from 4 KiB to 1 GiB, or they differ")
        }
        var files = t.sysfsFiles(resourceLines: resourceLines)
        let document = TopologyDocument(
            barproofVersion: barproofVersion, counterexample: cx, summary: summary(cx, target: target, page: page),
            reproduce: .init(audit: auditCommand(cx, sysfs: false), auditWholeBAR: auditAsksTheSameQuestion(cx),
                             search: searchCommand),
            snapshot: snapshot(of: files, pageSize: t.pageSize))
        do {
            files[Self.topologyFile] = Array(try JSONOutput.encode(document))
        } catch {
            throw FixtureError("cannot encode \(Self.topologyFile): \(error)")
        }
        files[Self.svgFile] = Array(MemoryMapSVG.render(cx, page: page).utf8)
        files[Self.umockdevFile] = Array(t.umockdevRecord(resourceLines: resourceLines).utf8)
        files[Self.readmeFile] = Array(readme(cx, target: target, page: page).utf8)
        if let spec {
            guard files[spec.fileName] == nil else { throw FixtureError("the spec's file name \(spec.fileName) is one of the fixture's own files") }
            files[spec.fileName] = spec.bytes
        }
        return files
    }

    /// Renders the fixture and writes it to `folder` (created with its parents; replaced when it
    /// exists), all at once: the files go to a staging folder beside it, fsynced, then one rename
    /// (``OutputFiles/writeFolder(_:to:fileMode:replacing:)``). Every file is the owner's only
    /// (0600): `config` and `topology.json` hold config space.
    ///
    /// - Throws: ``FixtureError`` when the counterexample cannot be rendered, ``OutputError``
    ///   when the folder cannot be written.
    public func write(_ cx: TopologyCounterexample, to folder: URL) throws {
        let rendered = try files(for: cx)
        try OutputFiles.writeFolder(rendered, to: folder.path, fileMode: OutputFiles.privateMode)
    }

    // MARK: Commands

    /// `barproof audit` asks the counterexample's question when the request maps the whole BAR
    /// and the backend is type1 (the audit assumes both).
    func auditAsksTheSameQuestion(_ cx: TopologyCounterexample) -> Bool {
        cx.mapsWholeBAR && cx.platform.backend == .type1
    }

    /// The `barproof audit` command line, run in the fixture folder.
    func auditCommand(_ cx: TopologyCounterexample, sysfs: Bool) -> String {
        var words = ["barproof", "audit", "--policy", cx.policyName]
        for clause in cx.addedClauses ?? [] { words += ["--add", clause] }
        for clause in cx.removedClauses { words += ["--drop", clause] }
        words += ["--page-size", String(cx.platform.pageSize), "--msi-isolated", cx.platform.msiIsolated ? "yes" : "no"]
        if cx.platform.allowUnsafeInterrupts { words.append("--allow-unsafe-interrupts") }
        for (fact, value) in (cx.platform.hostFacts ?? [:]).sorted(by: { $0.key < $1.key }) {
            words += ["--host-fact", "\(fact)=\(value ? "yes" : "no")"]
        }
        words += sysfs ? ["--sysfs", "."] : [Self.topologyFile]
        return words.joined(separator: " ")
    }

    /// The audit of the fake `/sys` `umockdev-run` makes from `machine.umockdev`, with this
    /// folder's `proc/iomem` put in the testbed first (umockdev mocks a `/proc` file only when
    /// `$UMOCKDEV_DIR/proc` has it), run in the fixture folder.
    func umockdevAuditCommand(_ cx: TopologyCounterexample) -> String {
        let audit = auditCommand(cx, sysfs: true).dropLast(1) + "/"
        return "umockdev-run --device \(Self.umockdevFile) -- sh -c "
            + shellQuoted("mkdir -p \"$UMOCKDEV_DIR/proc\" && cp proc/iomem \"$UMOCKDEV_DIR/proc/iomem\" && exec \(audit)")
    }

    /// The `barproof search` command line, run in the fixture folder on the spec copied there.
    var searchCommand: String? {
        guard let spec else { return nil }
        var words = ["barproof", "search", shellQuoted(spec.fileName)]
        if let checkID { words += ["--check", shellQuoted(checkID)] }
        return words.joined(separator: " ")
    }

    // MARK: topology.json

    func summary(_ cx: TopologyCounterexample, target: Topology.PlacedBAR, page pageSize: PageSize) -> TopologyDocument.Summary {
        let page = pageSize.rawValue
        var pages: [String] = []
        var p = pageSize.pageDown(cx.exposed.start)
        while p <= cx.exposed.end && pages.count < Self.listedPages {
            pages.append("\(hexText(p))-\(hexText(p + (page - 1)))")
            if p > UInt64.max - page { break }
            p += page
        }
        return .init(
            invariant: cx.invariant.rawValue, statement: cx.invariant.statement, policy: cx.policy,
            target: "\(cx.target) (\(target.kind.rawValue)\(target.prefetchable ? " prefetchable" : "")\(target.fixed ? " fixed" : ""), \(sizeText(target.size)) at \(hexText(target.start))-\(hexText(target.end)))",
            request: "offset \(hexText(cx.requestOffset)), length \(hexText(cx.requestLength))",
            exposed: "\(hexText(cx.exposed.start))-\(hexText(cx.exposed.end))",
            pageCount: (pageSize.pageDown(cx.exposed.end) - pageSize.pageDown(cx.exposed.start)) / page + 1, pages: pages,
            foreign: cx.foreign.map { f in
                let bar = cx.topology.function(f.function)?.bar(f.index)
                return bar.map { "\(f) (\($0.kind.rawValue), \(sizeText($0.size)) at \(hexText($0.start))-\(hexText($0.end)))" } ?? f.description
            },
            allowedThrough: cx.view.clause)
    }

    /// The folder's `sys/` and `proc/` files as a version 2 snapshot (``SnapshotDocument``), as
    /// `barproof snapshot --root <folder>` would capture them: the tree has no host-fact files, so
    /// `files` and `directories` are empty.
    func snapshot(of files: [String: [UInt8]], pageSize: UInt64) -> SnapshotDocument {
        var devices: [String: SnapshotDocument.Device] = [:]
        let prefix = "sys/bus/pci/devices/"
        let names = Set(files.keys.filter { $0.hasPrefix(prefix) }.compactMap { $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init) })
        func text(_ path: String) -> String? { files[path].map { String(decoding: $0, as: UTF8.self) } }
        for name in names {
            let directory = prefix + name
            devices[name] = .init(resource: text("\(directory)/resource") ?? "",
                                  config: (files["\(directory)/config"] ?? []).map { hexString(UInt64($0), width: 2) }.joined(),
                                  vendor: text("\(directory)/vendor"), device: text("\(directory)/device"),
                                  class: text("\(directory)/class"))
        }
        return SnapshotDocument(pageSize: pageSize, iomem: text("proc/iomem") ?? "", devices: devices)
    }
}

/// A spec file's name and bytes, for a fixture folder to carry a copy.
public struct SpecCopy: Sendable {
    /// The file name (no directory), e.g. `mainline.yaml`: the spec's name is its file name.
    public var fileName: String
    public var bytes: [UInt8]

    public init(fileName: String, bytes: [UInt8]) {
        self.fileName = fileName
        self.bytes = bytes
    }

    /// The file at `path`, read now.
    public init(path: String) throws(FixtureError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("cannot read the spec \(path)") }
        self.init(fileName: URL(fileURLWithPath: path).lastPathComponent, bytes: Array(data))
    }
}
