import PCIModel
import Prover
import Reports
import VFIORules

extension FixtureWriter {
    /// The fixture's `README.md`: what is violated, which BAR and page, which foreign resource,
    /// the clause that allowed the mmap and those that held, the platform, the machine, and the
    /// commands that reproduce it.
    func readme(_ cx: TopologyCounterexample, target: Topology.PlacedBAR, page pageSize: PageSize) -> String {
        let t = cx.topology
        let page = pageSize.rawValue
        let s = summary(cx, target: target, page: pageSize)
        var md = "# \(cx.invariant.rawValue) violated under `\(cx.policy)`, \(sizeText(page)) pages\n\n"
        md += "**Invariant** `\(cx.invariant.rawValue)`: \(cx.invariant.statement).\n\n"
        md += "**The mmap.** Userspace maps region \(cx.target.index) of \(cx.target.function) through vfio-pci, "
        md += "\(s.target), with \(s.request). "
        md += "The mapping starts at the page holding the BAR and exposes \(s.exposed) "
        md += s.pageCount == 1 ? "(page \(s.pages[0])).\n\n" : "(\(s.pageCount) pages: \(s.pages.prefix(4).joined(separator: ", "))\(s.pageCount > 4 ? ", ..." : "")).\n\n"
        switch cx.invariant {
        case .pageExclusive:
            if let foreign = s.foreign, let ref = cx.foreign, let bar = t.function(ref.function)?.bar(ref.index) {
                let first = max(bar.start, cx.exposed.start), last = min(bar.end, cx.exposed.end)
                md += "**Foreign resource.** \(foreign): its bytes \(hexText(first))-\(hexText(last)) are reachable through the mapping, "
                md += "so the guest can drive another device's registers.\n\n"
            }
        case .msixNeedsFiltering:
            if let msix = t.function(cx.target.function)?.msix {
                md += "**MSI-X.** \(cx.target.function) has \(msix.entries) MSI-X vectors; the table is in BAR \(msix.tableBIR) at offset "
                md += "\(hexText(UInt64(msix.tableOffset))) (\(msix.tableSize) bytes), the PBA in BAR \(msix.pbaBIR) at offset \(hexText(UInt64(msix.pbaOffset))). "
                md += "Table bytes are reachable through the mapping while MSIs are not isolated, so the guest can write interrupt messages the host does not filter.\n\n"
            }
        case .mmapWithinBAR:
            md += "**Past the BAR.** The mapping reaches bytes outside the page-rounded extent of the BAR.\n\n"
        }
        md += "**Why it was allowed.** Through `\(cx.view.clause)` (\(cx.view.foreignKind); \(cx.view.pageOffsetClass)). "
        md += "Every clause of the policy held: \(cx.allowedBy.map { "`\($0)`" }.joined(separator: ", "))."
        if let added = cx.addedClauses {
            md += " Added to `\(cx.policyName)`: \(added.map { "`\($0)`" }.joined(separator: ", "))."
        }
        if !cx.removedClauses.isEmpty {
            md += " Removed from `\(cx.policyName)`: \(cx.removedClauses.map { "`\($0)`" }.joined(separator: ", "))."
        }
        md += "\n\n"
        md += "**Platform.** Page size \(page) (\(sizeText(page))); MSIs isolated: \(cx.platform.msiIsolated ? "yes" : "no"); "
        md += "`allow_unsafe_interrupts`: \(cx.platform.allowUnsafeInterrupts ? "on" : "off"); backend \(cx.platform.backend.rawValue); "
        md += "unaligned fixed/EA resources \(cx.platform.unalignedFixedResources ? "allowed" : "not allowed")"
        md += cx.platform.hostFactsText.map { "; host: \($0).\n\n" } ?? ".\n\n"

        md += "## The machine\n\n"
        md += "Host bridge window `PCI Bus 0000:00` \(hexText(t.hostWindow.start))-\(hexText(t.hostWindow.end)).\n\n"
        if !t.bridges.isEmpty {
            md += "| bridge | secondary bus | window | behind |\n|---|---|---|---|\n"
            for b in t.bridges.sorted(by: { $0.address < $1.address }) {
                md += "| \(b.address) | \(hexString(UInt64(b.secondaryBus), width: 2)) | \(hexText(b.window.start))-\(hexText(b.window.end)) | \(b.upstream?.description ?? "root bus") |\n"
            }
            md += "\n"
        }
        md += "| function | IDs | BAR | type | range | size | MSI-X |\n|---|---|---|---|---|---|---|\n"
        for f in t.functions.sorted(by: { $0.address < $1.address }) {
            let ids = "\(hexString(UInt64(f.vendorID), width: 4)):\(hexString(UInt64(f.deviceID), width: 4)) class \(hexString(UInt64(f.classCode), width: 6))"
            for bar in f.bars {
                var type = bar.kind.rawValue
                if bar.prefetchable { type += " prefetchable" }
                if bar.fixed { type += " fixed" }
                var marks: [String] = []
                if let msix = f.msix, msix.tableBIR == bar.index { marks.append("table at \(hexText(UInt64(msix.tableOffset)))") }
                if let msix = f.msix, msix.pbaBIR == bar.index { marks.append("PBA at \(hexText(UInt64(msix.pbaOffset)))") }
                var role = ""
                if f.address == cx.target.function && bar.index == cx.target.index { role = " (mmapped)" }
                if let foreign = cx.foreign, foreign.function == f.address, foreign.index == bar.index { role = " (foreign)" }
                md += "| \(f.address)\(f.upstream.map { " behind \($0)" } ?? "") | \(ids) | \(bar.index)\(role) | \(type) | \(hexText(bar.start))-\(hexText(bar.end)) | \(sizeText(bar.size)) | \(marks.joined(separator: ", ")) |\n"
            }
        }
        let map = cx.pageMap()
        if !map.isEmpty {
            md += "\n## The page\n\nEach cell is 1/64 of the page: `#` the mmapped BAR, a letter a resource listed below the map, `.` nothing.\n\n"
            md += "```text\n" + map.joined(separator: "\n") + "\n```\n"
        }
        md += "\n![memory map](\(Self.svgFile))\n\n"

        if let mitigation {
            md += "## Mitigation\n\n\(mitigation)\n\n"
            md += "(`barproof search --suggest` proved it on this machine: its functions, BARs, kinds and sizes held, "
                + "every placement and every BAR's mmap checked.)\n\n"
        }
        md += "## Reproduce\n\nIn this folder:\n\n```sh\n"
        md += auditCommand(cx, sysfs: false) + "\n"
        md += auditCommand(cx, sysfs: true) + "\n"
        if let search = searchCommand { md += search + "\n" }
        md += "```\n\n"
        if auditAsksTheSameQuestion(cx) {
            md += "Both audits exit 1 and flag \(cx.target) with `\(cx.invariant.rawValue)`: "
            md += "the audit maps every BAR whole (offset 0, the page-rounded size) under the type1 backend, which is this request.\n"
        } else {
            md += "Note: `barproof audit` maps every BAR whole (offset 0, the page-rounded size) under the type1 backend; "
            md += "this counterexample's request (\(s.request), backend \(cx.platform.backend.rawValue)) is a different question, "
            md += "so the audit's verdict on \(cx.target) may differ. The fixture round trip replays the exact request.\n"
        }
        md += "\n## Under umockdev\n\n"
        md += "`\(Self.umockdevFile)` is this machine in umockdev's record format, so `umockdev-run` presents it as a fake `/sys` "
        md += "(the devices under `/sys/devices/pci0000:00/...`, bridges holding their children, and `/sys/bus/pci/devices`):\n\n```sh\n"
        md += "umockdev-run --device \(Self.umockdevFile) -- cat /sys/bus/pci/devices/\(cx.target.function)/resource\n"
        md += "umockdev-run --device \(Self.umockdevFile) -- readlink -f /sys/bus/pci/devices/\(cx.target.function)\n"
        md += umockdevAuditCommand(cx) + "\n```\n\n"
        md += "umockdev mocks `/sys` only, and a `/proc` file only when its testbed (`$UMOCKDEV_DIR`) has one: the last command "
        md += "puts this folder's `proc/iomem` there first. Without it, `barproof audit --sysfs /` reads the host's `/proc/iomem`, "
        md += "where these BARs are not claimed, and refuses their mmap as unclaimed (`mainline.enable-requires-claimed` under mainline) "
        md += "instead of reproducing the violation. Either way the audit reads the host's kernel command line and release from `/proc`.\n"
        md += "\n## Files\n\n"
        md += "- `\(Self.topologyFile)`: the counterexample and these files as one document (schema `\(TopologyDocument.schemaName)`).\n"
        md += "- `sys/bus/pci/devices/<bdf>/{resource,config,vendor,device,class,subsystem_vendor,subsystem_device,revision,irq}`, "
        md += "`proc/iomem`: the machine in the kernel's own formats.\n"
        md += "- `\(Self.umockdevFile)`: the same devices and attributes for `umockdev-run --device`.\n"
        md += "- `\(Self.svgFile)`: the pages around the violation.\n"
        if let spec { md += "- `\(spec.fileName)`: a copy of the spec the counterexample was searched from (check `\(checkID ?? "-")`).\n" }
        return md
    }
}
