import ArgumentParser
import Audit
import Foundation
import PCIModel
import Reports
import SpecFiles
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
            and line are named). A finding that a suppression (--suppressions) or the --baseline report \
            excuses is reported as such and does not count.
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
          help: "The allow_unsafe_interrupts module parameter is set (or not). Default: the host's sys/module parameter, else its command line, else unknown (both values evaluated: modprobe.d, which is not read, may set it).")
    var allowUnsafeInterrupts: Bool?

    @Option(help: "Output format: text, json or sarif (SARIF 2.1.0, one result per violated or unknown invariant).")
    var format: Format = .text

    @Option(help: "Also write the SARIF 2.1.0 log (one run per host) to this file (atomically), for GitHub code scanning; not with --format sarif.")
    var sarif: String?

    @Option(help: "Also write the JSON report (barproof-audit, or barproof-audit-fleet for several hosts) to this file (atomically); not with --format json.")
    var json: String?

    @Option(help: "SARIF locations are relative to this directory (uriBaseId SRCROOT). Default: the git top level of the current directory, else the current directory.")
    var srcroot: String?

    @Option(help: "A suppressions file: findings it names (audit: {host?, device, bar, invariant}), with a justification, are reported as suppressed and do not fail the run. Default: barproof-suppressions.yaml in the source root, when present.")
    var suppressions: String?

    @Option(help: "An earlier `barproof audit --format json` report (one host or a fleet): fail only on findings that are not in it; the others are reported as in the baseline.")
    var baseline: String?

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

    /// One host's audit, or why there is none: the message for standard error and the exit code
    /// (and, for bad input, the problem as a SARIF notification).
    enum HostOutcome: Sendable {
        /// Why a host has no report.
        struct Failure: Error, Sendable {
            var message: String
            var code: Int32
            var notice: SARIFReport.Notice?
        }

        /// The report, its JSON document when the fleet is written as JSON (encoded by the
        /// worker), and its SARIF findings when SARIF is written.
        case audited(AuditReport, EncodedDocument?, [SARIFReport.Finding])
        case failed(String, Int32, SARIFReport.Notice?)
    }

    /// What the command does with each host's report once it is audited, in the worker.
    struct HostFinish: Sendable {
        var suppressions: SuppressionFile?
        var baseline: Baseline?
        var singleHost: Bool
        var encodeJSON: Bool
        var sarif: Bool

        /// Excuses what the suppressions and the baseline excuse, then encodes what is wanted.
        /// `label` is the host's name in SARIF; `place` where a finding about a BAR points.
        func finish(_ report: AuditReport, label: String, place: ([AuditFinding]) -> (DeviceAudit, BARAudit) -> (String, Int, Int))
            -> HostOutcome {
            var report = report
            report.suppressionsFile = suppressions?.file
            report.baselineFile = baseline?.file
            if suppressions != nil || baseline != nil {
                let host = report.host ?? "host"
                let hosts = [SourceRootResolution.normalized(host), label]
                report.excuse(suppression: { finding in
                    suppressions?.suppression(hosts: hosts, device: finding.device, bar: finding.bar, invariant: finding.invariant).map {
                        SuppressedFinding(invariant: finding.invariant, justification: $0.suppression.justification,
                                          expires: $0.suppression.expires, file: $0.suppression.file, line: $0.suppression.line,
                                          column: $0.suppression.column)
                    }
                }, baseline: baseline.map { baseline in
                    { finding in baseline.contains(host: host, device: finding.device, bar: finding.bar,
                                                   invariant: finding.invariant, singleHost: singleHost) }
                })
            }
            var document: EncodedDocument?
            if encodeJSON {
                do { document = EncodedDocument(try JSONOutput.encode(report)) } catch {
                    return .failed("internal error: \(error)", Exit.internalError, nil)
                }
            }
            let findings = sarif ? report.sarifFindings(place: place(report.findings), baseline: baseline != nil) : []
            return .audited(report, document, findings)
        }
    }

    /// Audits one host without printing (hosts of a fleet run in parallel; the caller prints in
    /// input order). `notice` places a problem of the input in a SARIF notification.
    static func audit(_ files: some SysfsFiles, name: String, defaultPageSize: UInt64, describe: (String) -> String,
                      notice: (AuditInputError) -> SARIFReport.Notice, overrides: AuditOverrides)
        -> Result<AuditReport, HostOutcome.Failure> {
        let host: HostInventory
        do throws(AuditInputError) {
            host = try HostInventory.load(from: files)
        } catch {
            // Paths and messages quote the input (names, link targets): escaped for the terminal.
            return .failure(.init(message: "\(describe(error.file)): \(error.message)".escapingControlCharacters, code: Exit.badInput,
                                  notice: notice(error)))
        }
        // A snapshot's own page size was checked when it was loaded; this machine's is a page size.
        guard let page = overrides.pageSize ?? PageSize(rawValue: defaultPageSize) else {
            return .failure(.init(message: "error: the page size \(defaultPageSize) is not a power of two from 4096 to 1 GiB; give --page-size",
                                  code: Exit.usage, notice: nil))
        }
        var report: AuditReport
        let options: AuditOptions
        do throws(PolicyError) {
            (report, options) = try HostAudit.run(host, overrides: overrides, defaultPageSize: page, name: name)
        } catch {
            return .failure(.init(message: "error: \(error)", code: Exit.usage, notice: nil))
        }
        AuditRemedies.addResourceAlignment(to: &report, host: host, options: options)
        report.barproofVersion = Barproof.version
        return .success(report)
    }

    /// The line an input error names in its message (`line 3: ...`), for its SARIF place.
    static func line(of error: AuditInputError) -> (Int?, Int?) {
        if let parse = error.parseError { return (parse.line, parse.column) }
        let words = error.message.split(separator: " ", maxSplits: 2)
        if words.count >= 2, words[0] == "line", let n = Int(words[1].trimmingCharacters(in: CharacterSet(charactersIn: ":,"))) {
            return (n, nil)
        }
        return (nil, nil)
    }

    func run() throws {
        try guarded {
            let overrides = try overrides()
            let targets = try ReportTargets(format: ReportTargets.Kind(rawValue: format.rawValue) ?? .text, output: nil,
                                            extra: [(.sarif, sarif), (.json, json)])
            let root = try SourceRootResolution.resolve(srcroot)
            let suppressionsPath = try SuppressionFile.find(suppressions, root: root)
            if let baseline { try Baseline.check(baseline) }
            let hostCount = self.root != nil && snapshots.isEmpty ? 1 : snapshots.count
            if targets.sarif != nil, hostCount > SARIFReport.GitHubLimits.runsPerFile {
                throw UsageError(message: "SARIF for GitHub code scanning holds at most \(SARIFReport.GitHubLimits.runsPerFile) runs a file, "
                                 + "one per host; audit at most \(SARIFReport.GitHubLimits.runsPerFile) snapshots per SARIF log (split the fleet)")
            }
            if targets.sarif != nil, Set(snapshots.map { SourceRoot.resolved($0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0) }).count < snapshots.count {
                throw UsageError(message: "a snapshot is named twice: its two SARIF runs would have one category (automationDetails.id), which code scanning rejects")
            }
            do {
                return try audit(targets: targets, root: root, suppressionsPath: suppressionsPath, overrides: overrides)
            } catch var errors as SpecErrors {
                // A bad suppressions file or baseline: the SARIF log says so where one was asked for.
                errors.sarifLog = try targets.writeFailure(errors.diagnostics.map(\.notice), command: .audit,
                                                           automationID: SARIFReport.Command.audit.automationID(host: firstLabel(root)),
                                                           root: root)
                throw errors
            }
        }
    }

    /// The SARIF host name of the first host given.
    func firstLabel(_ root: SourceRoot) -> String {
        if let sysfs = self.root { return SourceRootResolution.hostLabel(sysfs, liveRoot: SourceRoot.resolved(absolute(sysfs)) == "/", root: root) }
        return snapshots.first.map { SourceRootResolution.hostLabel($0, liveRoot: false, root: root) } ?? "host"
    }

    func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }

    func audit(targets: ReportTargets, root: SourceRoot, suppressionsPath: String?, overrides: AuditOverrides) throws -> Int32 {
        let suppressionFile = try suppressionsPath.map { try SuppressionFile.load($0) }
        let baselineReport = try baseline.map { try Baseline.audit($0) }
        suppressionFile?.warnExpired(prove: false)
        let wantsJSON = targets.format == .json || targets.files.contains { $0.kind == .json }
        let wantsSARIF = targets.sarif != nil
        let outcomes: [HostOutcome]
        var labels: [String] = []
        switch (self.root, snapshots.isEmpty) {
        case let (sysfs?, true):
            let directory = DirectoryFiles(root: sysfs)
            let label = SourceRootResolution.hostLabel(sysfs, liveRoot: SourceRoot.resolved(absolute(sysfs)) == "/", root: root)
            labels = [label]
            let finish = HostFinish(suppressions: suppressionFile, baseline: baselineReport, singleHost: true,
                                    encodeJSON: false, sarif: wantsSARIF)
            let result = Self.audit(directory, name: sysfs, defaultPageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))),
                                    describe: directory.path, notice: { error in
                                        let (line, column) = Self.line(of: error)
                                        return SARIFReport.Notice(file: directory.path(error.file), line: line, column: column,
                                                                  message: error.message)
                                    }, overrides: overrides)
            switch result {
            case .success(let report):
                outcomes = [finish.finish(report, label: label) { _ in
                    { _, bar in (directory.path(bar.file ?? "resource"), bar.line, 1) }
                }]
            case .failure(let failure):
                outcomes = [.failed(failure.message, failure.code, failure.notice)]
            }
        case (nil, false):
            let paths = snapshots, pageSizeGiven = pageSize != nil
            labels = paths.map { SourceRootResolution.hostLabel($0, liveRoot: false, root: root) }
            let finish = HostFinish(suppressions: suppressionFile, baseline: baselineReport, singleHost: paths.count == 1,
                                    encodeJSON: wantsJSON && paths.count > 1, sarif: wantsSARIF)
            let hostLabels = labels
            outcomes = FleetAudit.map(paths.count, jobs: jobs) { i in
                switch SnapshotLoading.load(paths[i], pageSizeGiven: pageSizeGiven) {
                case .success(let snapshot):
                    let result = Self.audit(snapshot, name: paths[i], defaultPageSize: snapshot.pageSize,
                                            describe: { "\(paths[i]): \($0)" }, notice: { error in
                                                SARIFReport.Notice(file: paths[i], line: nil, column: nil, message: "\(error.file): \(error.message)")
                                            }, overrides: overrides)
                    switch result {
                    case .success(let report):
                        return finish.finish(report, label: hostLabels[i]) { findings in
                            // A snapshot's sysfs files are inside it: a finding points at its device's `resource` text.
                            let devices = Array(Set(findings.map(\.device))).sorted()
                            let places = SnapshotLoading.resourcePlaces(paths[i], devices: devices)
                            return { device, _ in
                                let place = places[device.address] ?? (1, 1)
                                return (paths[i], place.line, place.column)
                            }
                        }
                    case .failure(let failure):
                        return .failed(failure.message, failure.code, failure.notice)
                    }
                case .failure(let bad):
                    return .failed(bad.message, Exit.badInput,
                                   SARIFReport.Notice(file: bad.file, line: bad.place?.line, column: bad.place?.column, message: bad.problem))
                }
            }
        default:
            throw UsageError(message: "give either --sysfs ROOT or snapshot files, not both or neither")
        }
        // Every host is read before anything is printed: bad input in one writes nothing (but the
        // SARIF log of the failure, where one was asked for).
        var reports: [AuditReport] = []
        var documents: [EncodedDocument] = []
        var runs: [SARIFReport] = []
        var failures: [(message: String, code: Int32, notice: SARIFReport.Notice?, label: String)] = []
        for (outcome, label) in zip(outcomes, labels) {
            switch outcome {
            case .audited(let report, let document, let findings):
                reports.append(report)
                if let document { documents.append(document) }
                if wantsSARIF {
                    var run = SARIFReport(findings: findings, command: .audit, barproofVersion: Barproof.version, executionSuccessful: true,
                                          exitCode: Int(report.exitCode), properties: report.sarifProperties, root: root,
                                          notices: suppressionFile?.expiredNotices(prove: false) ?? [])
                    run.identify(as: SARIFReport.Command.audit.automationID(host: label))
                    runs.append(run)
                }
            case .failed(let message, let code, let notice):
                failures.append((message, code, notice, label))
            }
        }
        if let first = failures.first {
            for failure in failures { printError(failure.message) }
            if first.code == Exit.badInput {
                let notices = failures.filter { $0.code == Exit.badInput }.compactMap(\.notice)
                if let log = try targets.writeFailure(notices, command: .audit,
                                                      automationID: SARIFReport.Command.audit.automationID(host: first.label), root: root) {
                    printError("no report written; the SARIF log of the failure went to \(log)")
                }
            }
            return first.code
        }
        if let suppressionFile {
            let used = Set(reports.flatMap { $0.devices.flatMap { $0.bars.flatMap { ($0.suppressed ?? []).map(\.line) } } })
            suppressionFile.noteUnused(Set(suppressionFile.entries.filter { used.contains($0.suppression.line) }.map(\.target)), prove: false)
        }
        var fleet = FleetAudit(reports, barproofVersion: Barproof.version)
        if documents.count == reports.count, reports.count > 1 { fleet.hostDocuments = documents }
        var out: [ReportTargets.Kind: Data] = [:]
        for kind in Set([targets.format] + targets.files.map(\.kind)) {
            switch kind {
            case .text: out[kind] = Data((reports.count == 1 ? reports[0].text : fleet.text).utf8)
            case .json: out[kind] = reports.count == 1 ? try JSONOutput.encode(reports[0]) : try JSONOutput.encode(fleet)
            case .sarif: out[kind] = try SARIFReport(combining: runs).encoded()
            case .junit: break
            }
        }
        try targets.write(out)
        return fleet.exitCode
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
            let data = try JSONOutput.encode(snapshot)
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
