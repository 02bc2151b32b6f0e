import Audit
import Foundation
import PCIModel
import Reports
import SpecFiles
import VFIORules

/// `barproof audit`: evaluates the policy on every memory BAR of a sysfs tree, or of each
/// snapshot of a fleet, as if each function were bound to vfio-pci; excuses what the suppressions
/// and the baseline excuse, and writes the reports. The per-host steps are in
/// `AuditRun+Hosts.swift`.
public struct AuditRun {
    /// `--sysfs`: a directory laid out like `/`.
    public var sysfs: String?
    /// Snapshots or fixtures' `topology.json` (instead of ``sysfs``); several audit a fleet.
    public var snapshots: [String]
    public var policy: String?
    public var kernel: String?
    /// `--add`: catalogue clauses added to the policy.
    public var add: [String]
    /// `--drop`: clauses removed from the policy.
    public var drop: [String]
    /// `--host-fact`: each `NAME=yes|no`.
    public var hostFact: [String]
    public var pageSize: UInt64?
    /// `--msi-isolated`: `yes`, `no` or `unknown`.
    public var msiIsolated: String?
    public var allowUnsafeInterrupts: Bool?
    /// The `--format` report, to standard output.
    public var format: ReportTargets.Kind
    /// The extra report files: `--sarif`, `--json`.
    public var sarif: String?
    public var json: String?
    public var srcroot: String?
    public var suppressions: String?
    public var baseline: String?
    /// Snapshots of a fleet audited at once.
    public var jobs: Int
    public var allowIncomplete: Bool

    public init(sysfs: String?, snapshots: [String], policy: String?, kernel: String?, add: [String], drop: [String],
                hostFact: [String], pageSize: UInt64?, msiIsolated: String?, allowUnsafeInterrupts: Bool?,
                format: ReportTargets.Kind, sarif: String?, json: String?, srcroot: String?, suppressions: String?,
                baseline: String?, jobs: Int, allowIncomplete: Bool) {
        self.sysfs = sysfs
        self.snapshots = snapshots
        self.policy = policy
        self.kernel = kernel
        self.add = add
        self.drop = drop
        self.hostFact = hostFact
        self.pageSize = pageSize
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.format = format
        self.sarif = sarif
        self.json = json
        self.srcroot = srcroot
        self.suppressions = suppressions
        self.baseline = baseline
        self.jobs = jobs
        self.allowIncomplete = allowIncomplete
    }

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

    /// Audits every host and writes the reports; returns the exit code (``FleetAudit/exitCode``,
    /// or the code of the first host that could not be audited). A bad suppressions file or
    /// baseline throws ``SpecErrors`` after writing the SARIF log of the failure where one was
    /// asked for.
    public func run() throws -> Int32 {
        let overrides = try overrides()
        let targets = try ReportTargets(format: format, output: nil, extra: [(.sarif, sarif), (.json, json)])
        let root = try SourceRootResolution.resolve(srcroot)
        let suppressionsPath = try SuppressionFile.find(suppressions, root: root)
        if let baseline { try Baseline.check(baseline) }
        let hostCount = sysfs != nil && snapshots.isEmpty ? 1 : snapshots.count
        if targets.sarif != nil, hostCount > SARIFReport.GitHubLimits.runsPerFile {
            throw UsageError(message: "SARIF for GitHub code scanning holds at most \(SARIFReport.GitHubLimits.runsPerFile) runs a file, "
                             + "one per host; audit at most \(SARIFReport.GitHubLimits.runsPerFile) snapshots per SARIF log (split the fleet)")
        }
        if targets.sarif != nil, Set(snapshots.map { SourceRoot.resolved(absolute($0)) }).count < snapshots.count {
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

    /// The SARIF host name of the first host given.
    func firstLabel(_ root: SourceRoot) -> String {
        if let sysfs { return SourceRootResolution.hostLabel(sysfs, liveRoot: SourceRoot.resolved(absolute(sysfs)) == "/", root: root) }
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
        switch (sysfs, snapshots.isEmpty) {
        case let (sysfs?, true):
            let directory = DirectoryFiles(root: sysfs)
            let label = firstLabel(root)
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
                    var run = SARIFReport(findings: findings, command: .audit, barproofVersion: BarproofRelease.version, executionSuccessful: true,
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
        var fleet = FleetAudit(reports, barproofVersion: BarproofRelease.version)
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
