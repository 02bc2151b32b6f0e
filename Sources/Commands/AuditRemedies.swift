import Audit
import PCIModel
import Prover
import VFIORules
import Z3Kit

/// The one remedy the audit cannot evaluate on the host as read: `pci=resource_alignment=`,
/// which changes the placement. It is offered only where the prover shows it on this host's
/// shape for every placement (``TopologySearch/provesShape(_:pageShift:policy:bounds:platform:mapped:)``),
/// as `barproof search --suggest` shows it for a counterexample machine.
enum AuditRemedies {
    /// Most functions in a proof's shape: the group's functions that break `page-exclusive`, then
    /// the other functions on their exposed pages, in address order.
    static let shapeLimit = 6
    /// Each proof's share of time; one that runs out is reported, never offered.
    static let proofTime: Duration = .seconds(30)

    /// Adds a proved `resource_alignment` remedy to every unsafe group whose functions break
    /// `page-exclusive`: `<PAGE_SHIFT>@<bdf>` for each such function, which the kernel honours by
    /// growing the BAR to a page of its own (`pci_request_resource_alignment` / resize, as the
    /// machine model applies it). The shape keeps the host's BAR kinds, sizes, prefetchability
    /// and fixed BARs and each breaking function's MSI-X, on the root bus; placement is left to the
    /// prover over every valid assignment in the default MMIO window. Under `PCI_PROBE_ONLY` the
    /// kernel ignores the parameter (`pci_specified_resource_alignment`, drivers/pci/pci.c), so
    /// unless the operator says the host is not PROBE_ONLY (`--host-fact probe-only=no`) a note
    /// says why it is not offered.
    static func addResourceAlignment(to report: inout AuditReport, host: HostInventory, options: AuditOptions) {
        let devices = Dictionary(uniqueKeysWithValues: host.devices.map { ($0.address.description, $0) })
        var notOfferedNoted = false
        for g in report.groups.indices where report.groups[g].verdict == .unsafe {
            let breaking = report.devices.filter { d in
                report.groups[g].devices.contains(d.address)
                    && d.bars.contains { $0.violations.contains(Invariant.pageExclusive.rawValue) }
            }
            guard !breaking.isEmpty else { continue }
            guard options.hostFacts[.probeOnly] == false else {
                if !notOfferedNoted {
                    report.notes.append("pci=resource_alignment= is not offered as a remedy: the kernel ignores it under "
                                        + "PCI_PROBE_ONLY, which the audit cannot read; give --host-fact probe-only=no for a host that is not")
                    notOfferedNoted = true
                }
                continue
            }
            // The breaking functions first (they are mapped), then their neighbours on the exposed pages.
            var members = breaking.map(\.address)
            for d in breaking {
                for bar in d.bars where bar.violations.contains(Invariant.pageExclusive.rawValue) {
                    for f in bar.foreign {
                        guard let owner = f.owner.split(separator: " ").first.map(String.init),
                              devices[owner] != nil, !members.contains(owner) else { continue }
                        members.append(owner)
                    }
                }
            }
            let listed = members.prefix(shapeLimit).compactMap { devices[$0] }
            let mapped = Set(listed.indices.filter { breaking.map(\.address).contains(listed[$0].address.description) })
            let shape = MachineShape(devices: listed.enumerated().map { d, device in
                MachineShape.Device(upstream: 0, slots: device.bars.filter { $0.kind.isMemory && $0.size > 0 }.map { bar in
                    MachineShape.Slot(index: bar.index, kind: bar.kind, prefetchable: bar.prefetchable,
                                      fixed: bar.flags.contains(.pciFixed) || bar.flags.contains(.pciEABEI), size: bar.size)
                }, msix: mapped.contains(d) ? device.msix : nil)
            }, bridges: 0)
            let page = options.pageSize
            let sizes = shape.devices.flatMap { $0.slots.map(\.size) }
            let inShape = mapped.sorted().map { MachineNaming.functionAddress(slot: $0, upstream: 0) }
            let value = inShape.map { "\(page.shift)@\($0)" }.joined(separator: ";")
            let real = mapped.sorted().map { "\(page.shift)@\(listed[$0].address)" }.joined(separator: ";")
            guard let alignment = try? ResourceAlignmentParameter(parsing: value), let smallest = sizes.min(), let largest = sizes.max() else { continue }
            var bounds = SearchBounds(devices: shape.devices.count, barsPerDevice: max(1, shape.devices.map(\.slots.count).max() ?? 1),
                                      bridges: 0, minBARSize: smallest, maxBARSize: largest)
            bounds.resourceAlignment = alignment
            // The assumption under which the audit found the break: an mmap it allowed.
            let assumed = breaking.flatMap(\.bars).flatMap(\.verdicts).first { $0.violations.contains(Invariant.pageExclusive.rawValue) }
            let isolated = assumed?.msiIsolated ?? true
            let unsafe = assumed?.allowUnsafeInterrupts ?? options.allowUnsafeInterrupts ?? true
            let facts = PlatformFacts(pageSize: page.rawValue, msiIsolated: isolated, allowUnsafeInterrupts: unsafe,
                                      backend: .type1, unalignedFixedResources: false,
                                      hostFacts: Dictionary(uniqueKeysWithValues: options.hostFacts.map { ($0.key.rawValue, $0.value) }))
            let spec = PlatformSpec(pageSizes: [page], msiIsolated: isolated, allowUnsafeInterrupts: unsafe,
                                    backends: [.type1], hostFacts: options.hostFacts)
            let search = TopologySearch(policy: options.policy, platform: spec, invariant: .pageExclusive, bounds: bounds,
                                        limits: QueryLimits(deadline: ContinuousClock.now.advanced(by: proofTime)))
            let described = "\(listed.count) function\(listed.count == 1 ? "" : "s") (\(listed.map(\.address.description).joined(separator: ", "))) "
                + "with this host's BAR kinds and sizes"
            let groupName = report.groups[g].group.map(String.init) ?? "-"
            // The shape must show the break without the remedy, or a proof with it says nothing
            // (the break needs functions the shape left out, or the policy refuses every mmap).
            var bare = bounds
            bare.resourceAlignment = nil
            let without: ShapeProof, with: ShapeProof
            do {
                without = try search.provesShape(shape, pageShift: page.shift, policy: options.policy, bounds: bare,
                                                 platform: facts, mapped: mapped)
                with = try search.provesShape(shape, pageShift: page.shift, policy: options.policy, bounds: bounds,
                                              platform: facts, mapped: mapped)
            } catch {
                report.notes.append("pci=resource_alignment=\(real) for group \(groupName) could not be proved (\(error)); it is not offered")
                continue
            }
            switch without {
            case .refuted: break
            case .proved:
                report.notes.append("pci=resource_alignment=\(real) for group \(groupName) is not offered: \(described) does not "
                                    + "reproduce the break on its own, so a proof on it would not speak for this host")
                continue
            case .unknown(let reason):
                report.notes.append("pci=resource_alignment=\(real) for group \(groupName) could not be proved (\(reason)); it is not offered")
                continue
            }
            switch with {
            case .proved(let targets):
                report.groups[g].remedies.insert(Remedy(
                    kind: .resourceAlignment,
                    action: "add pci=resource_alignment=\(real) to the kernel command line: the kernel gives each of those BARs a page of its own",
                    evidence: "proved",
                    detail: "proved for every placement of \(described), and every mmap of the \(targets) memory BAR(s) of "
                        + "\(mapped.count == 1 ? "the function" : "the functions") aligned, under \(options.policy.label), \(page) pages"
                        + (members.count > listed.count ? " (the shape holds \(listed.count) of the \(members.count) functions involved)" : ""),
                    value: real), at: 0)
            case .refuted(let bar):
                report.notes.append("pci=resource_alignment=\(real) does not make group \(groupName) safe: "
                                    + "some placement of \(described) still lets \(bar)'s mmap break page-exclusive")
            case .unknown(let reason):
                report.notes.append("pci=resource_alignment=\(real) for group \(groupName) "
                                    + "could not be proved (\(reason)); it is not offered")
            }
        }
    }
}
