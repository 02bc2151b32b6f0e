import Audit
import PCIModel
import VFIORules

// The audit's SARIF results. Audit writes its own text and JSON but does not import Reports (it
// sits a layer below), so the mapping of its findings onto `SARIFReport` lives here, beside the
// prove command's, with every other SARIF writer.

extension BARVerdict {
    /// `MSI isolated: no, allow_unsafe_interrupts: Y`; the second part only when the verdict
    /// assumed a value.
    var assumptionText: String {
        "MSI isolated: \(msiIsolated ? "yes" : "no")" + (allowUnsafeInterrupts.map { ", allow_unsafe_interrupts: \($0 ? "Y" : "N")" } ?? "")
    }
}

extension AuditReport {
    /// One SARIF result per (BAR, invariant) pair violated under some MSI-isolation assumption
    /// (and one `open` result per pair unknown), located by `place`: the BAR's line of its sysfs
    /// `resource` file, or its device's entry in a snapshot. With `baseline`, each says whether it
    /// is new; a suppressed one carries its suppression.
    public func sarifFindings(place: (DeviceAudit, BARAudit) -> (String, Int, Int), baseline: Bool) -> [SARIFReport.Finding] {
        var out: [SARIFReport.Finding] = []
        for device in devices {
            for bar in device.bars {
                let (file, line, column) = place(device, bar)
                func excuse(_ id: String) -> (Suppression?, BaselineState?) {
                    let suppression = bar.suppressed?.first { $0.invariant == id }.map {
                        Suppression(justification: $0.justification, expires: $0.expires, file: $0.file, line: $0.line, column: $0.column)
                    }
                    let state = bar.baseline?.first { $0.invariant == id }.flatMap { BaselineState(rawValue: $0.state) }
                    return (suppression, baseline ? state ?? .new : nil)
                }
                var located = ["device": device.address, "bar": String(bar.index), "policy": policy, "pageSize": String(pageSize)]
                if let resource = bar.file { located["resourceFile"] = resource }
                located["resourceLine"] = String(bar.line)
                for id in bar.violations {
                    guard let invariant = Invariant(rawValue: id) else { continue }
                    let range = "\(hexText(bar.start))-\(hexText(bar.end))"
                    let exposed = "\(hexText(bar.exposedStart))-\(hexText(bar.exposedEnd))"
                    let assumptions = bar.verdicts.filter { $0.violations.contains(id) }.map(\.assumptionText).joined(separator: "; ")
                    var text = "\(device.address) BAR \(bar.index) (\(range)): vfio-pci would mmap it under \(policy), "
                        + "\(pageSize / 1024) KiB pages (\(assumptions)), exposing \(exposed)"
                    switch invariant {
                    case .pageExclusive:
                        text += ", which holds " + bar.foreign.map {
                            "\($0.owner) (\(hexText($0.start))-\(hexText($0.end)))"
                        }.joined(separator: ", ")
                            + (bar.foreignNotListed > 0 ? " and \(bar.foreignNotListed) more" : "")
                    case .msixNeedsFiltering:
                        text += ", which holds the MSI-X table, and MSIs are not isolated"
                    case .mmapWithinBAR:
                        break
                    }
                    let identity = "\(device.address)\u{0}\(bar.index)\u{0}\(id)\u{0}\(policy)\u{0}\(pageSize)"
                    let (suppression, state) = excuse(id)
                    out.append(SARIFReport.Finding(
                        invariant: invariant, message: text + ".", file: file, line: line, column: column,
                        fingerprints: ["barproofAudit/v1": SHA256.hex(Array(identity.utf8))],
                        properties: located, suppression: suppression, baselineState: state))
                }
                for id in bar.unknownInvariants {
                    guard let invariant = Invariant(rawValue: id) else { continue }
                    let range = "\(hexText(bar.start))-\(hexText(bar.end))"
                    let assumptions = bar.verdicts.filter { $0.unknown.contains(id) }.map(\.assumptionText).joined(separator: "; ")
                    let text = "\(device.address) BAR \(bar.index) (\(range)): \(id) is unknown under \(policy), "
                        + "\(pageSize / 1024) KiB pages (\(assumptions)), because " + bar.unknownReasons.joined(separator: "; and ")
                        + ". Run as root or audit a snapshot taken as root."
                    let identity = "\(device.address)\u{0}\(bar.index)\u{0}\(id)\u{0}\(policy)\u{0}\(pageSize)\u{0}unknown"
                    let (suppression, state) = excuse(id)
                    out.append(SARIFReport.Finding(
                        invariant: invariant, level: "warning", kind: "open", message: text, file: file,
                        line: line, column: column, fingerprints: ["barproofAudit/v1": SHA256.hex(Array(identity.utf8))],
                        properties: located.merging(["verdict": "unknown"]) { $1 }, suppression: suppression, baselineState: state))
                }
            }
        }
        return out
    }

    /// The run's properties: the audit's status and, when incomplete, how many verdicts are unknown
    /// and what could not be read.
    public var sarifProperties: [String: SARIFReport.Property] {
        var properties: [String: SARIFReport.Property] = ["status": .string(status), "violations": .int(violationCount),
                                                          "unknown": .int(unknownCount)]
        if incomplete {
            properties["incomplete"] = .bool(true)
            properties["unread"] = .strings(devices.compactMap { d in d.unread.map { "\(d.address): \($0)" } })
            properties["allowIncomplete"] = .bool(allowIncomplete)
        }
        return properties
    }
}
