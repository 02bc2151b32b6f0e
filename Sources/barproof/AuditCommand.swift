import ArgumentParser
import Commands
import Foundation

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

    func run() throws {
        try guarded {
            try AuditRun(sysfs: root, snapshots: snapshots, policy: policy, kernel: kernel, add: add, drop: drop, hostFact: hostFact,
                         pageSize: pageSize, msiIsolated: msiIsolated, allowUnsafeInterrupts: allowUnsafeInterrupts,
                         format: ReportTargets.Kind(rawValue: format.rawValue) ?? .text, sarif: sarif, json: json, srcroot: srcroot,
                         suppressions: suppressions, baseline: baseline, jobs: jobs, allowIncomplete: allowIncomplete).run()
        }
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
        try guarded { try SnapshotCapture(root: root, output: output).run() }
    }
}
