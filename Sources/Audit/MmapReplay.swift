import PCIModel
import VFIORules

/// One mmap of one BAR, as userspace asks vfio-pci for it: the device and region index, and
/// `pgoff << PAGE_SHIFT` and `vm_end - vm_start`.
public struct MmapRequest: Hashable, Sendable, Codable {
    public var device: PCIAddress
    public var barIndex: Int
    public var offset: UInt64
    public var length: UInt64

    public init(device: PCIAddress, barIndex: Int, offset: UInt64, length: UInt64) {
        self.device = device
        self.barIndex = barIndex
        self.offset = offset
        self.length = length
    }
}

/// The platform one mmap is decided on, every fact fixed (no "unknown").
public struct ReplayPlatform: Hashable, Sendable {
    public var policy: Policy
    public var pageSize: PageSize
    public var msiIsolated: Bool
    /// The `allow_unsafe_interrupts` module parameter.
    public var allowUnsafeInterrupts: Bool
    public var backend: Backend
    /// The host facts the policy's clauses read (``HostFact``); one not given takes the value that
    /// grants the most.
    public var hostFacts: [HostFact: Bool]

    public init(policy: Policy, pageSize: PageSize, msiIsolated: Bool, allowUnsafeInterrupts: Bool,
                backend: Backend = .type1, hostFacts: [HostFact: Bool] = [:]) {
        self.policy = policy
        self.pageSize = pageSize
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.backend = backend
        self.hostFacts = hostFacts
    }
}

/// The ``Concrete`` rules' answer for one mmap of one BAR of a host.
public struct MmapReplay: Hashable, Sendable, Codable {
    /// Every clause of the policy holds: vfio-pci grants the mmap.
    public var allowed: Bool
    /// The ids of the clauses that refuse it, in policy order; empty when allowed.
    public var refusedBy: [String]
    /// The ids of the invariants (every built-in one) the mmap violates when allowed; empty when refused.
    public var violations: [String]
    /// The physical bytes the mapping covers (inclusive), whether or not it is allowed.
    public var exposedStart: UInt64
    public var exposedEnd: UInt64
    /// Resources of other devices (or of the platform) among the exposed bytes, sorted by address;
    /// owners read `0000:00:02.0 BAR 0`, as in ``BARAudit/foreign``.
    public var foreign: [ForeignResource]
    /// Some byte of the device's MSI-X table is exposed.
    public var msixTableExposed: Bool
}

extension HostAudit {
    /// Evaluates the policy's clauses and every built-in invariant, with ``Concrete``, for exactly
    /// one mmap of one memory BAR of `host`, with all other resources of the host as neighbours.
    /// ``run(_:options:)`` asks the same question for the whole BAR (offset 0, the page-rounded
    /// size) under the type1 backend; this replays a counterexample's request and platform as found.
    ///
    /// - Throws: ``AuditInputError`` when the host has no such function, the function is a bridge,
    ///   or the BAR is not a placed memory BAR.
    public static func replay(_ host: HostInventory, request: MmapRequest,
                              platform: ReplayPlatform) throws(AuditInputError) -> MmapReplay {
        let directory = host.directories[request.device] ?? "\(HostInventory.devicesDirectory)/\(request.device)"
        guard let device = host.devices.first(where: { $0.address == request.device }) else {
            throw AuditInputError(file: directory, message: "no function \(request.device) on this host")
        }
        guard !device.isBridge else {
            throw AuditInputError(file: "\(directory)/config", message: "\(request.device) is a bridge; vfio-pci does not bind it")
        }
        let resources = HostResources(host)
        guard let target = resources.resources(of: request.device).first(where: { $0.index == request.barIndex }),
              target.isMemory else {
            throw AuditInputError(file: "\(directory)/resource",
                                  message: "\(request.device) BAR \(request.barIndex) is not a placed memory BAR")
        }
        let page = platform.pageSize
        let (initial, neighbours, foreign) = mmapAssignment(
            target, device: device, resources: resources,
            pageSize: page, offset: request.offset, length: request.length,
            allowUnsafeInterrupts: platform.allowUnsafeInterrupts, backend: platform.backend, listLimit: .max)
        var assignment = initial
        assignment.truths[SituationLayout.Name.msiIsolated] = platform.msiIsolated
        assignment.setHostFacts(platform.hostFacts)
        let l = Concrete()
        let s: Situation<Concrete>
        do { s = try Situation.checked(assignment, neighbours: neighbours.count, pageShift: page.shift) } catch {
            preconditionFailure("the audit's assignment: \(error)")
        }
        let refused = platform.policy.clauses.filter { !$0.rule.holds(s, l) }.map(\.id)
        let violations = refused.isEmpty ? Invariant.allCases.filter { $0.violated(s, l) }.map(\.rawValue) : []
        let x = s.exposed(l)
        return MmapReplay(allowed: refused.isEmpty, refusedBy: refused, violations: violations,
                          exposedStart: x.first, exposedEnd: x.last, foreign: foreign.listed,
                          msixTableExposed: s.tableReachable(l))
    }
}
