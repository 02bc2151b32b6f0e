import PCIModel
import VFIORules
import Z3Kit

/// What a search found.
public struct SearchResult: Sendable {
    /// Distinct by view, in the order found.
    public var counterexamples: [TopologyCounterexample]
    /// No further view exists within the bounds (the last query was unsatisfiable).
    public var exhausted: Bool
    /// A query ran out of time or was interrupted; what was found before stands, but the search
    /// is incomplete. Never a pass.
    public var unknown: String?
    /// Notes on the search, such as a minimisation cut short.
    public var notes: [String]
}

/// Searches bounded machines (``MachineTerms``) for placements on which a policy grants an mmap
/// that breaks an invariant.
///
/// Machines are searched smallest first (``run(max:minimize:)``), one query per machine size and
/// page size (a fixed page size solves faster). `minimize` tightens each counterexample
/// lexicographically (fewest devices, fewest BARs, a whole-BAR mmap if possible, smallest sizes,
/// lowest addresses), and `max > 1` enumerates further counterexamples whose views differ,
/// blocking each view found.
public final class TopologySearch {
    public let policy: Policy
    public let platform: PlatformSpec
    public let invariant: Invariant
    public let bounds: SearchBounds
    private let limits: QueryLimits
    private let seed: UInt32

    public init(policy: Policy, platform: PlatformSpec, invariant: Invariant, bounds: SearchBounds,
                limits: QueryLimits = .none, seed: UInt32 = 0) {
        self.policy = policy
        self.platform = platform
        self.invariant = invariant
        self.bounds = bounds
        self.limits = limits
        self.seed = seed
    }

    /// Up to `max` counterexamples with pairwise different views.
    ///
    /// The search deepens: machines of 1, 2, ... devices, each with one BAR slot and then all of
    /// them, first without bridges and then with them, up to the bounds, each level at every page
    /// size. A level is searched until no unblocked view is left on it, then the next; so each
    /// counterexample comes from the smallest level that shows its view (fewest devices first),
    /// and small queries, which solve fast, are tried first. "Exhausted" means the full bounds
    /// were searched.
    ///
    /// - Parameters:
    ///   - found: Called with each counterexample as soon as it is found (and re-checked), so a
    ///     caller can write it out before the search goes on; an error it throws ends the search.
    ///   - progress: Called with the machine size and page size about to be searched.
    ///   - possible: The views that may be reachable at all (``PairViewOracle/possibleViews()``):
    ///     once each of them has been found the search ends, exhausted, without searching on.
    ///   - pageSizes: The page sizes to search (``PairViewOracle/pageSizesToSearch()``: at the
    ///     others no machine shows a violation); default every page size of the platform.
    public func run(max: Int = 1, minimize: Bool = false, possible: Set<ViewKey>? = nil, pageSizes: [PageSize]? = nil,
                    found: (TopologyCounterexample) throws -> Void = { _ in },
                    progress: (String) -> Void = { _ in }) throws -> SearchResult {
        var result = SearchResult(counterexamples: [], exhausted: false, unknown: nil, notes: [])
        var blocked: [ViewKey] = []
        func everyPossibleViewFound() -> Bool {
            guard let possible, possible.isSubset(of: Set(blocked)) else { return false }
            let rest = PairViewOracle.viewSpace(invariant).count - blocked.count
            result.notes.append("every view a machine can show has been found: the pair model proves the other \(rest) "
                                + "view(s) of \(invariant.rawValue) unreachable on every machine")
            return true
        }
        if everyPossibleViewFound() { return SearchResult(counterexamples: [], exhausted: true, unknown: nil, notes: result.notes) }
        levels: for (level, target) in levels() {
            for page in pageSizes ?? platform.pageSizes {
                guard result.counterexamples.count < max else { break levels }
                if let stop = ProcessStop.requested ?? (limits.expired ? "timeout" : nil) {
                    result.unknown = "\(page) pages, \(level.devices) devices x \(level.barsPerDevice) BARs: \(stop)"
                    break levels
                }
                progress("searching \(level.devices) device(s) x \(level.barsPerDevice) BAR(s), \(level.bridges) bridge(s), \(page) pages; \(result.counterexamples.count) view(s) found")
                let session = try MachineSession(search: self, pageShift: page.shift, bounds: level, target: target)
                views: while result.counterexamples.count < max {
                    switch try session.next(blocked: blocked, minimize: minimize, notes: &result.notes) {
                    case let .found(example, key):
                        try found(example)
                        result.counterexamples.append(example)
                        blocked.append(key)
                        if result.counterexamples.count < max && everyPossibleViewFound() { break levels }
                    case .none:
                        break views
                    case let .unknown(reason):
                        result.unknown = "\(page) pages, \(level.devices) devices x \(level.barsPerDevice) BARs: \(reason)"
                        break levels
                    }
                }
            }
        }
        result.exhausted = result.counterexamples.count < max && result.unknown == nil
        return result
    }

    /// The machines to search, smallest first, each with the mmapped BAR's place. The mmapped BAR
    /// is slot 0 of device 0 unless a `resource_alignment` tells devices apart; then every device
    /// takes a turn.
    func levels() -> [(SearchBounds, (device: Int, slot: Int))] {
        var out: [(SearchBounds, (device: Int, slot: Int))] = []
        for devices in 1...bounds.devices {
            // One BAR slot per device first (small queries solve fast), then all of them; fewer
            // BARs within a level is the minimiser's job.
            for bars in Set([1, bounds.barsPerDevice]).sorted() {
                for bridges in bounds.bridges > 0 ? [0, bounds.bridges] : [0] {
                    var level = bounds
                    level.devices = devices
                    level.barsPerDevice = bars
                    level.bridges = bridges
                    let targets = bounds.resourceAlignment == nil ? [0] : Array(0..<devices)
                    out += targets.map { (level, ($0, 0)) }
                }
            }
        }
        return out
    }

    /// The first counterexample from one query over the whole bounds, without deepening: the
    /// benchmark's baseline. Nil only when every page size's query says none exists; a query
    /// that runs out throws, so an unknown is never timed as an answer.
    public func firstWithoutDeepening() throws -> TopologyCounterexample? {
        var notes: [String] = []
        for page in platform.pageSizes {
            let session = try MachineSession(search: self, pageShift: page.shift)
            switch try session.next(blocked: [], minimize: false, notes: &notes) {
            case let .found(example, _): return example
            case .none: continue
            case let .unknown(reason): throw ProverError("the whole-bounds query at \(page) pages is unknown: \(reason)")
            }
        }
        return nil
    }

    /// Time-to-first: one satisfiability check per page size, no minimisation.
    public func first() throws -> SearchResult { try run(max: 1, minimize: false) }

    /// Proves that on `shape` (devices, BARs, kinds, sizes, upstream bridges and the mapped
    /// device's MSI-X held fixed) no placement lets any BAR's mmap break the invariant, under
    /// `policy` and `bounds` (which may carry a `resource_alignment`). Every BAR of the machine is
    /// tried as the mmapped one, or only those of the devices in `mapped` when given (the devices
    /// a host audit asks about; the others are its neighbours).
    public func provesShape(_ shape: MachineShape, pageShift: Int, policy: Policy, bounds: SearchBounds,
                            platform facts: PlatformFacts, mapped: Set<Int>? = nil) throws -> ShapeProof {
        var checked = 0
        for (d, device) in shape.devices.enumerated() where mapped?.contains(d) ?? true {
            for (k, slot) in device.slots.enumerated() where slot.kind.isMemory {
                let session = try MachineSession(search: self, pageShift: pageShift, policy: policy, bounds: bounds,
                                                 target: (d, k), shape: shape, facts: facts)
                switch try session.decide() {
                case .sat: return .refuted(by: BARReference(function: MachineNaming.functionAddress(slot: d, upstream: device.upstream), index: slot.index))
                case .unknown(let reason): return .unknown(reason)
                case .unsat: checked += 1
                }
            }
        }
        return .proved(targets: checked)
    }
}

/// The answer of ``TopologySearch/provesShape(_:pageShift:policy:bounds:platform:)``.
public enum ShapeProof: Sendable, Equatable {
    /// Every memory BAR of the machine checked, none can break the invariant under any placement.
    case proved(targets: Int)
    /// Some placement still lets this BAR's mmap break it.
    case refuted(by: BARReference)
    case unknown(String)
}

extension TopologySearch {
    var limitsValue: QueryLimits { limits }
    var seedValue: UInt32 { seed }
}

extension MachineTerms {
    /// `size` is what a `resource_alignment` resize gives slot `k` of device `d` where it sits.
    func resizedTo(_ d: Int, _ k: Int, size: L.Word, _ l: L) -> L.Truth {
        var options: [L.Truth] = []
        for u in 0...bridges.count {
            guard let align = requestedAlignment(device: d, upstream: u) else { continue }
            options.append(l.and(l.equal(devices[d].upstream, l.word(UInt64(u))), l.not(devices[d].slots[k].fixed),
                                 l.equal(size, l.word(align))))
        }
        return l.or(options)
    }
}

extension Logic {
    /// The sum of `terms` (wrapping).
    func add(_ terms: [Word]) -> Word { terms.reduce(word(0)) { add($0, $1) } }
}
