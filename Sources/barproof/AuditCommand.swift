import ArgumentParser
import Audit
import Reports
import Foundation
import PCIModel
import VFIORules

/// `barproof audit`: what vfio-pci would expose on a real (or captured) machine.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Evaluates the policy on every memory BAR of a sysfs tree, as if each function were bound to vfio-pci.",
        discussion: """
            Reads ROOT/sys/bus/pci/devices/*/{resource,config,vendor,device,class,iommu_group,driver} \
            and ROOT/proc/iomem. For each memory BAR of each normal-header function it evaluates an mmap \
            of the whole BAR: whether the policy allows it and which clause refuses it, the bytes it \
            exposes, the foreign resources on those pages, and whether MSI-X table or PBA bytes are exposed. \
            Input that could not be read (without root, sysfs config is cut to 64 bytes, hiding MSI-X, \
            and /proc/iomem shows every address as 0; a file without read permission) leaves the \
            verdicts it decides unknown, with the reason; an unknown verdict is never a pass. \
            Exit codes: 0 no invariant violated, every verdict decided; 1 page-exclusive or \
            msix-needs-filtering violated (on what could be read, whatever else is unknown); \
            2 incomplete: some verdict unknown (run as root or audit a snapshot taken as root; \
            --allow-incomplete exits on the decided verdicts only); 64 usage; 65 bad input (the file \
            and line are named).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, sarif }

    @Option(name: .customLong("sysfs"), help: "A directory laid out like / (sys/bus/pci/devices, proc/iomem).")
    var root: String?

    @Argument(help: "Snapshots written by `barproof snapshot`, or fixtures' topology.json (instead of --sysfs); several audit a fleet.")
    var snapshots: [String] = []

    @Option(help: "The policy: legacy, rfc-v4, mainline, or a release preset's linux-<release> (see `barproof list`). Default: the preset of the host's kernel release (proc/sys/kernel/osrelease), else mainline.")
    var policy: String?

    @Option(help: "The host's kernel release, e.g. 4.19 or 6.1.20: the preset covering it (instead of --policy and of the release the host reports).")
    var kernel: String?

    @Option(name: .customLong("add"), help: "A catalogue clause to add to the policy (repeatable), e.g. msix-table-excluded.")
    var add: [String] = []

    @Option(name: .customLong("drop"), help: "A clause to remove from the policy (repeatable), e.g. subpage-reservation.")
    var drop: [String] = []

    @Option(name: .customLong("host-fact"),
            help: "A host fact older kernels' clauses read, as NAME=yes|no (repeatable; see `barproof list`). Unset facts take the value that grants the most.")
    var hostFact: [String] = []

    @Option(name: .customLong("page-size"), help: "Page size in bytes (default: the snapshot's, else this machine's); same placement.")
    var pageSize: UInt64?

    @Option(name: .customLong("msi-isolated"), help: "Whether MSIs are isolated: yes, no or unknown (evaluates both). Default: what the host shows (/proc/interrupts, the IOMMUs, the command line), else unknown.")
    var msiIsolated: String?

    @Flag(name: .customLong("allow-unsafe-interrupts"), inversion: .prefixedNo,
          help: "The allow_unsafe_interrupts module parameter is set (or not). Default: the host's sys/module parameter, else its command line, else the module default (off).")
    var allowUnsafeInterrupts: Bool?

    @Option(help: "Output format: text, json or sarif (SARIF 2.1.0, one result per violated or unknown invariant).")
    var format: Format = .text

    @Option(help: "How many snapshots of a fleet to audit at once (default: the number of processors).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .customLong("allow-incomplete"),
          help: "Report verdicts that unreadable input leaves unknown, but exit on the decided verdicts only (0 or 1, not 2).")
    var allowIncomplete = false

    /// What the options fix before any host is read; the rest comes from each host's facts.
    func overrides() throws -> AuditOverrides {
        if jobs < 1 { throw UsageError(message: "--jobs must be at least 1") }
        var overrides = AuditOverrides(dropped: drop, allowUnsafeInterrupts: allowUnsafeInterrupts, allowIncomplete: allowIncomplete)
        if let kernel {
            do { overrides.policy = try KernelRelease.named(kernel).policy } catch { throw UsageError(message: "--kernel: \(error)") }
            overrides.policySource = "--kernel \(kernel)"
        } else if let policy {
            guard let found = Policy.named(policy) else {
                let known = Policy.all.map(\.name) + KernelRelease.all.map(\.policy.name)
                throw UsageError(message: "unknown policy '\(policy)'; known: \(known.joined(separator: ", "))")
            }
            overrides.policy = found
            overrides.policySource = "--policy \(policy)"
        }
        overrides.added = try add.map { name in
            guard let rule = Rule(rawValue: name) else {
                throw UsageError(message: "--add: no clause '\(name)' in the catalogue; clauses: \(Rule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return rule
        }
        for item in hostFact {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let fact = HostFact(rawValue: parts[0]), let value = ["yes": true, "no": false][parts[1]] else {
                throw UsageError(message: "--host-fact takes NAME=yes|no with NAME one of \(HostFact.allCases.map(\.rawValue).joined(separator: ", ")), not '\(item)'")
            }
            overrides.hostFacts[fact] = value
        }
        if let msiIsolated {
            guard let given = MSIIsolation(rawValue: msiIsolated) else {
                throw UsageError(message: "--msi-isolated takes yes, no or unknown, not '\(msiIsolated)'")
            }
            overrides.msiIsolation = given
        }
        if let pageSize {
            guard let page = PageSize(rawValue: pageSize) else {
                throw UsageError(message: "--page-size \(pageSize) is not a power of two from 4096 to 1 GiB")
            }
            overrides.pageSize = page
        }
        return overrides
    }

    /// One host's audit, or why there is none: the message for standard error and the exit code.
    enum HostOutcome: Sendable {
        /// The report, and its JSON document when the fleet is written as JSON (encoded by the worker).
        case audited(AuditReport, EncodedDocument?)
        case failed(String, Int32)
    }

    /// Audits one host without printing (hosts of a fleet run in parallel; the caller prints in
    /// input order).
    static func audit(_ files: some SysfsFiles, name: String, defaultPageSize: UInt64, describe: (String) -> String,
                      overrides: AuditOverrides) -> HostOutcome {
        let host: HostInventory
        do throws(AuditInputError) {
            host = try HostInventory.load(from: files)
        } catch {
            // Paths and messages quote the input (names, link targets): escaped for the terminal.
            return .failed("\(describe(error.file)): \(error.message)".escapingControlCharacters, Exit.badInput)
        }
        // A snapshot's own page size was checked when it was loaded; this machine's is a page size.
        guard let page = overrides.pageSize ?? PageSize(rawValue: defaultPageSize) else {
            return .failed("error: the page size \(defaultPageSize) is not a power of two from 4096 to 1 GiB; give --page-size", Exit.usage)
        }
        var report: AuditReport
        let options: AuditOptions
        do throws(PolicyError) {
            (report, options) = try HostAudit.run(host, overrides: overrides, defaultPageSize: page, name: name)
        } catch {
            return .failed("error: \(error)", Exit.usage)
        }
        AuditRemedies.addResourceAlignment(to: &report, host: host, options: options)
        report.barproofVersion = Barproof.version
        return .audited(report, nil)
    }

    func run() throws {
        try guarded {
            let overrides = try overrides()
            let outcomes: [HostOutcome]
            switch (root, snapshots.isEmpty) {
            case let (root?, true):
                let directory = DirectoryFiles(root: root)
                outcomes = [Self.audit(directory, name: root, defaultPageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))),
                                       describe: directory.path, overrides: overrides)]
            case (nil, false):
                let paths = snapshots, pageSizeGiven = pageSize != nil, encode = format == .json && snapshots.count > 1
                outcomes = FleetAudit.map(paths.count, jobs: jobs) { i in
                    switch SnapshotLoading.load(paths[i], pageSizeGiven: pageSizeGiven) {
                    case .success(let snapshot):
                        let outcome = Self.audit(snapshot, name: paths[i], defaultPageSize: snapshot.pageSize,
                                                 describe: { "\(paths[i]): \($0)" }, overrides: overrides)
                        guard encode, case .audited(let report, _) = outcome else { return outcome }
                        do { return .audited(report, EncodedDocument(try JSONOutput.encode(report))) } catch {
                            return .failed("internal error: \(error)", Exit.internalError)
                        }
                    case .failure(let bad):
                        return .failed(bad.message, Exit.badInput)
                    }
                }
            default:
                throw UsageError(message: "give either --sysfs ROOT or snapshot files, not both or neither")
            }
            // Every host is read before anything is printed: bad input in one writes nothing.
            var reports: [AuditReport] = []
            var documents: [EncodedDocument] = []
            for outcome in outcomes {
                switch outcome {
                case .audited(let report, let document):
                    reports.append(report)
                    if let document { documents.append(document) }
                case .failed(let message, let code):
                    printError(message)
                    return code
                }
            }
            var fleet = FleetAudit(reports, barproofVersion: Barproof.version)
            if documents.count == reports.count, reports.count > 1 { fleet.hostDocuments = documents }
            switch format {
            case .text:
                printOut(reports.count == 1 ? reports[0].text : fleet.text)
            case .json:
                printOut(reports.count == 1 ? try JSONOutput.encode(reports[0]) : try JSONOutput.encode(fleet))
            case .sarif:
                let runs = reports.map { report in
                    var sarif = SARIFReport(findings: report.sarifFindings, barproofVersion: Barproof.version,
                                            executionSuccessful: true, exitCode: Int(report.exitCode),
                                            properties: report.sarifProperties)
                    if reports.count > 1 { sarif.identify(as: "barproof-audit/\(report.host ?? "host")/") }
                    return sarif
                }
                printOut(String(decoding: try SARIFReport(combining: runs).encoded(), as: UTF8.self))
            }
            return fleet.exitCode
        }
    }
}

extension BARVerdict {
    /// `MSI isolated: no, allow_unsafe_interrupts: Y`; the second part only when the verdict
    /// assumed a value.
    var assumptionText: String {
        "MSI isolated: \(msiIsolated ? "yes" : "no")" + (allowUnsafeInterrupts.map { ", allow_unsafe_interrupts: \($0 ? "Y" : "N")" } ?? "")
    }
}

extension AuditReport {
    /// One SARIF result per (BAR, invariant) pair violated under some MSI-isolation assumption,
    /// located at the BAR's line of its sysfs `resource` file (paths relative to the audited root).
    var sarifFindings: [SARIFReport.Finding] {
        var out: [SARIFReport.Finding] = []
        for device in devices {
            for bar in device.bars {
                for id in bar.violations {
                    guard let invariant = Invariant(rawValue: id) else { continue }
                    let range = "0x\(String(bar.start, radix: 16))-0x\(String(bar.end, radix: 16))"
                    let exposed = "0x\(String(bar.exposedStart, radix: 16))-0x\(String(bar.exposedEnd, radix: 16))"
                    let assumptions = bar.verdicts.filter { $0.violations.contains(id) }.map(\.assumptionText).joined(separator: "; ")
                    var text = "\(device.address) BAR \(bar.index) (\(range)): vfio-pci would mmap it under \(policy), "
                        + "\(pageSize / 1024) KiB pages (\(assumptions)), exposing \(exposed)"
                    switch invariant {
                    case .pageExclusive:
                        text += ", which holds " + bar.foreign.map {
                            "\($0.owner) (0x\(String($0.start, radix: 16))-0x\(String($0.end, radix: 16)))"
                        }.joined(separator: ", ")
                            + (bar.foreignNotListed > 0 ? " and \(bar.foreignNotListed) more" : "")
                    case .msixNeedsFiltering:
                        text += ", which holds the MSI-X table, and MSIs are not isolated"
                    case .mmapWithinBAR:
                        break
                    }
                    let identity = "\(device.address)\u{0}\(bar.index)\u{0}\(id)\u{0}\(policy)\u{0}\(pageSize)"
                    out.append(SARIFReport.Finding(
                        invariant: invariant, message: text + ".", file: bar.file ?? "resource", line: bar.line,
                        fingerprints: ["barproofAudit/v1": SHA256.hex(Array(identity.utf8))],
                        properties: ["device": device.address, "bar": String(bar.index), "policy": policy,
                                     "pageSize": String(pageSize)]))
                }
                for id in bar.unknownInvariants {
                    guard let invariant = Invariant(rawValue: id) else { continue }
                    let range = "0x\(String(bar.start, radix: 16))-0x\(String(bar.end, radix: 16))"
                    let assumptions = bar.verdicts.filter { $0.unknown.contains(id) }.map(\.assumptionText).joined(separator: "; ")
                    let text = "\(device.address) BAR \(bar.index) (\(range)): \(id) is unknown under \(policy), "
                        + "\(pageSize / 1024) KiB pages (\(assumptions)), because " + bar.unknownReasons.joined(separator: "; and ")
                        + ". Run as root or audit a snapshot taken as root."
                    let identity = "\(device.address)\u{0}\(bar.index)\u{0}\(id)\u{0}\(policy)\u{0}\(pageSize)\u{0}unknown"
                    out.append(SARIFReport.Finding(
                        invariant: invariant, level: "warning", kind: "open", message: text, file: bar.file ?? "resource",
                        line: bar.line, fingerprints: ["barproofAudit/v1": SHA256.hex(Array(identity.utf8))],
                        properties: ["device": device.address, "bar": String(bar.index), "policy": policy,
                                     "pageSize": String(pageSize), "verdict": "unknown"]))
                }
            }
        }
        return out
    }

    /// The run's properties: the audit's status and, when incomplete, how many verdicts are unknown
    /// and what could not be read.
    var sarifProperties: [String: SARIFReport.Property] {
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

/// `barproof snapshot`: captures what `audit` reads from a live machine, read-only, as one JSON file.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Captures the sysfs PCI files, /proc/iomem, the page size and the host facts (kernel release, IOMMU groups, vfio parameters, interrupt remapping, PCI/IOMMU kernel parameters) as JSON (barproof-snapshot version 2).",
        discussion: """
            Device Serial Numbers, VPD data and vendor-specific capability data in config space are zeroed \
            (a config image whose capability lists cannot be walked loses its whole capability space, with a \
            note). Links are followed only inside the root, only regular files of bounded size are read, and \
            what is captured must audit: otherwise exit 65 naming the file, and nothing is written. Audit the \
            file with `barproof audit FILE`.
            """)

    @Option(help: "The root to read (a directory laid out like /).")
    var root: String = "/"

    @Option(help: "Write the snapshot here instead of to standard output.")
    var output: String?

    func run() throws {
        try guarded {
            let files = DirectoryFiles(root: root)
            let commandLine = (try? files.contents(of: "proc/cmdline")).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let snapshot: Snapshot
            do {
                let taken = try Snapshot.take(from: files, pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))), commandLine: commandLine,
                                              barproofVersion: Barproof.version)
                snapshot = taken.snapshot
                for note in taken.notes { printError("note: \(files.path(note))".escapingControlCharacters) }
            } catch let error as AuditInputError {
                printError("\(files.path(error.file)): \(error.message)".escapingControlCharacters)
                return Exit.badInput
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(snapshot) + Data("\n".utf8)
            if let output {
                // Config space may show what is plugged into the host, serial numbers aside: the owner's only.
                try OutputFiles.write(data, to: output, newFileMode: OutputFiles.privateMode)
            } else {
                printOut(String(decoding: data, as: UTF8.self))
            }
            return Exit.asExpected
        }
    }
}
