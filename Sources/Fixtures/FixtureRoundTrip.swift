import Audit
import Foundation
import PCIModel
import Prover
import Reports
import VFIORules

/// Reads a fixture folder written by ``FixtureWriter`` back through the host-audit importers and
/// replays its counterexample with the ``Concrete`` rules: the acceptance check of the fixture
/// writers, for tests and for `barproof search` before it reports a fixture as written.
public enum FixtureRoundTrip {
    /// Problems with the fixture of `cx` in `folder`; empty when it round-trips.
    ///
    /// Checks that `topology.json` is a topology document (``TopologyDocument/read(_:)``: version 2,
    /// or a version 1 one an older barproof wrote) and holds `cx` exactly, that
    /// its topology has no `placementProblems(unalignedFixedAllowed:)`, and that its embedded snapshot is byte for byte
    /// the folder's sysfs tree (captured with the on-disk reader `barproof audit --sysfs` uses), and
    /// that `machine.umockdev` holds the tree's devices and attribute files byte for byte
    /// (``umockdevProblems(folder:topology:)``).
    /// Then, for each of the tree and `topology.json`: the importers read it without warnings and
    /// see the topology (every function, bridge, BAR, MSI-X capability and parent window); the
    /// replay of exactly the counterexample's mmap (request, page size, MSI isolation,
    /// `allow_unsafe_interrupts`, backend, policy) is allowed, exposes the same bytes, violates the
    /// same invariant and, for `page-exclusive`, exposes the foreign BAR; and when the request maps
    /// the whole BAR under type1, `HostAudit.run` flags the target BAR with that invariant.
    public static func check(counterexample cx: TopologyCounterexample, folder: URL) -> [String] {
        var problems: [String] = []
        let documentURL = folder.appendingPathComponent(FixtureWriter.topologyFile)
        let data: Data
        do { data = try Data(contentsOf: documentURL) } catch {
            return ["\(FixtureWriter.topologyFile): cannot read: \(error)"]
        }
        struct Embedded: Decodable { var schema: String; var snapshot: Snapshot }
        let document: TopologyDocument
        let embedded: Embedded
        // Nesting, syntax and duplicate keys first (the decoder recurses, and keeps one of two keys).
        do {
            document = try TopologyDocument.read(data).document
            embedded = try JSONInput.decode(Embedded.self, from: data)
        } catch {
            return ["\(FixtureWriter.topologyFile):\(error.line):\(error.column): \(error.message)"]
        }
        if document.counterexample != cx {
            problems.append("\(FixtureWriter.topologyFile): the counterexample read back differs from the one written")
        }
        problems += document.counterexample.topology
            .placementProblems(unalignedFixedAllowed: document.counterexample.platform.unalignedFixedResources).map { "\(FixtureWriter.topologyFile): \($0)" }
        if embedded.snapshot.schema != Snapshot.schemaName || embedded.snapshot.pageSize != cx.topology.pageSize {
            problems.append("\(FixtureWriter.topologyFile): snapshot schema \(embedded.snapshot.schema), page size \(embedded.snapshot.pageSize)")
        }

        let tree = DirectoryFiles(root: folder.path)
        do {
            let captured = try Snapshot.capture(from: tree, pageSize: cx.topology.pageSize, commandLine: "")
            if captured != embedded.snapshot {
                let differing = Set(captured.devices.keys).union(embedded.snapshot.devices.keys).sorted()
                    .filter { captured.devices[$0] != embedded.snapshot.devices[$0] }
                problems.append("the sysfs tree and the snapshot in \(FixtureWriter.topologyFile) differ"
                                + (captured.iomem != embedded.snapshot.iomem ? " (proc/iomem)" : "")
                                + (differing.isEmpty ? "" : " (devices \(differing.joined(separator: ", ")))"))
            }
        } catch {
            problems.append("the sysfs tree cannot be captured: \(error)")
        }
        problems += umockdevProblems(folder: folder, topology: cx.topology)

        let policy: Policy
        do { policy = try cx.rebuiltPolicy() } catch {
            return problems + ["the counterexample's policy cannot be rebuilt: \(error)"]
        }
        guard let pageSize = PageSize(rawValue: cx.platform.pageSize) else {
            return problems + ["page size \(cx.platform.pageSize) is not a page size"]
        }
        let sources: [(String, any SysfsFiles)] = [("sysfs tree", tree), (FixtureWriter.topologyFile, embedded.snapshot)]
        for (name, files) in sources {
            let host: HostInventory
            do { host = try HostInventory.load(from: files) } catch {
                problems.append("\(name): the audit importer refuses it: \(error)")
                continue
            }
            problems += host.warnings.map { "\(name): importer warning: \($0)" }
            problems += inventoryProblems(host, topology: cx.topology).map { "\(name): \($0)" }
            problems += replayProblems(host, cx, policy: policy, pageSize: pageSize).map { "\(name): \($0)" }
        }
        return problems
    }

    /// Differences between what the importers read and the topology written.
    static func inventoryProblems(_ host: HostInventory, topology t: Topology) -> [String] {
        var problems: [String] = []
        if host.devices.count != t.functions.count + t.bridges.count {
            problems.append("\(host.devices.count) functions read, \(t.functions.count + t.bridges.count) written")
        }
        // Looked up by node name too: a BAR can fill its bridge's window exactly, and a bridge
        // window can equal its parent's, so a range alone does not say which node is meant.
        func parentProblem(_ name: String, _ range: ClosedRange<UInt64>, node: String, upstream: PCIAddress?) -> String? {
            let expected = t.parentWindow(of: upstream)
            guard host.iomem.path(to: range, named: node) != nil else { return "\(name): no node \"\(node)\" in proc/iomem" }
            guard let parent = host.iomem.parent(of: range, named: node) else { return "\(name): not under any window in proc/iomem" }
            return parent.start == expected.start && parent.end == expected.end
                ? nil : "\(name): parent in proc/iomem is \(parent), expected \(expected)"
        }
        for f in t.functions {
            guard let d = host.devices.first(where: { $0.address == f.address }) else {
                problems.append("\(f.address): not read back"); continue
            }
            if d.isBridge { problems.append("\(f.address): read back as a bridge") }
            if (d.vendorID, d.deviceID, d.classCode) != (f.vendorID, f.deviceID, f.classCode) {
                problems.append("\(f.address): IDs read back as \(d.vendorID):\(d.deviceID) class \(d.classCode)")
            }
            for index in 0...5 {
                let read = d.bar(index)
                guard let bar = f.bar(index) else {
                    if let read, read.size != 0 { problems.append("\(f.address) BAR \(index): read back as \(read), written as none") }
                    continue
                }
                guard let read, read.kind == bar.kind, read.prefetchable == bar.prefetchable,
                      read.resource.start == bar.start, read.size == bar.size,
                      read.resource.flags.contains(.pciFixed) == bar.fixed else {
                    problems.append("\(f.address) BAR \(index): read back as \(read.map(\.description) ?? "nothing"), written as \(bar.kind.rawValue) \(bar.window)")
                    continue
                }
                if bar.kind.isMemory, let problem = parentProblem("\(f.address) BAR \(index)", bar.start...bar.end, node: f.address.description,
                                                                    upstream: f.upstream) {
                    problems.append(problem)
                }
            }
            let m = d.msix, w = f.msix
            if m?.tableBIR != w?.tableBIR || m?.tableOffset != w?.tableOffset || m?.entries != w?.entries
                || m?.pbaBIR != w?.pbaBIR || m?.pbaOffset != w?.pbaOffset {
                problems.append("\(f.address): MSI-X read back as \(m.map { "\($0)" } ?? "none"), written as \(w.map { "\($0)" } ?? "none")")
            }
        }
        for b in t.bridges {
            guard let d = host.devices.first(where: { $0.address == b.address }), d.isBridge else {
                problems.append("bridge \(b.address): not read back as a bridge"); continue
            }
            if !d.bridgeWindows.contains(where: { $0.start == b.window.start && $0.end == b.window.end }) {
                problems.append("bridge \(b.address): window \(b.window) not in its resource file")
            }
            if let problem = parentProblem("bridge \(b.address) window", b.window.start...b.window.end,
                                            node: "PCI Bus \(busName(b.address.domain, b.secondaryBus))", upstream: b.upstream) {
                problems.append(problem)
            }
        }
        return problems
    }

    /// `dddd:bb`, as `/proc/iomem` names a bus.
    static func busName(_ domain: UInt32, _ bus: UInt8) -> String {
        "\(hexString(domain, width: 4)):\(hexString(bus, width: 2))"
    }

    /// The replay of the counterexample's mmap, and the whole-BAR audit when it asks the same question.
    static func replayProblems(_ host: HostInventory, _ cx: TopologyCounterexample, policy: Policy,
                               pageSize: PageSize) -> [String] {
        var problems: [String] = []
        let request = MmapRequest(device: cx.target.function, barIndex: cx.target.index, offset: cx.requestOffset,
                                  length: cx.requestLength)
        let platform = ReplayPlatform(policy: policy, pageSize: pageSize, msiIsolated: cx.platform.msiIsolated,
                                      allowUnsafeInterrupts: cx.platform.allowUnsafeInterrupts, backend: cx.platform.backend,
                                      hostFacts: cx.platform.hostFactValues)
        let replay: MmapReplay
        do { replay = try HostAudit.replay(host, request: request, platform: platform) } catch {
            return ["replay of \(cx.target): \(error)"]
        }
        if !replay.allowed { problems.append("\(cx.policy) refuses the mmap of \(cx.target): \(replay.refusedBy.joined(separator: ", "))") }
        if !replay.violations.contains(cx.invariant.rawValue) {
            problems.append("the mmap of \(cx.target) does not violate \(cx.invariant.rawValue) (violates: \(replay.violations.joined(separator: ", ")))")
        }
        if (replay.exposedStart, replay.exposedEnd) != (cx.exposed.start, cx.exposed.end) {
            problems.append("the mmap exposes \(hexText(replay.exposedStart))-\(hexText(replay.exposedEnd)), the counterexample says \(cx.exposed)")
        }
        if cx.invariant == .pageExclusive {
            if let foreign = cx.foreign {
                if !replay.foreign.contains(where: { $0.owner == "\(foreign.function) BAR \(foreign.index)" }) {
                    problems.append("the mmap does not expose \(foreign) (exposes: \(replay.foreign.map(\.owner).joined(separator: ", ")))")
                }
            } else {
                problems.append("a page-exclusive counterexample without a foreign BAR")
            }
        }
        if cx.invariant == .msixNeedsFiltering && !replay.msixTableExposed {
            problems.append("the mmap does not expose the MSI-X table of \(cx.target.function)")
        }
        if cx.mapsWholeBAR && cx.platform.backend == .type1 && HostAudit.invariants.contains(cx.invariant) {
            let report = HostAudit.run(host, options: AuditOptions(
                policy: policy, pageSize: pageSize, msiIsolation: cx.platform.msiIsolated ? .yes : .no,
                allowUnsafeInterrupts: cx.platform.allowUnsafeInterrupts,
                hostFacts: cx.platform.hostFactValues))
            let bar = report.devices.first { $0.address == cx.target.function.description }?.bars.first { $0.index == cx.target.index }
            if !(bar?.violations.contains(cx.invariant.rawValue) ?? false) {
                problems.append("HostAudit.run does not flag \(cx.target) with \(cx.invariant.rawValue) (flags: \(bar?.violations.joined(separator: ", ") ?? "nothing"))")
            }
        }
        return problems
    }
}
