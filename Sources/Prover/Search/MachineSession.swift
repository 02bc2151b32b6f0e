import PCIModel
import VFIORules
import Z3Kit

/// What one session's query gave: a counterexample with its view, none, or unknown.
enum SessionOutcome {
    case found(TopologyCounterexample, ViewKey)
    case none
    case unknown(String)
}

/// One Z3 context and solver over the machine for one page size.
final class MachineSession {
    let search: TopologySearch
    let policy: Policy
    let bounds: SearchBounds
    let pageShift: Int
    let context: Context
    let logic: Symbolic
    let solver: Solver
    let machine: MachineTerms<Symbolic>
    private var wordNames: [String] = []
    private var truthNames: [String] = []

    init(search: TopologySearch, pageShift: Int, policy: Policy? = nil, bounds: SearchBounds? = nil,
         target: (device: Int, slot: Int) = (0, 0), shape: MachineShape? = nil, facts: PlatformFacts? = nil) throws {
        self.search = search
        self.policy = policy ?? search.policy
        var bounds = bounds ?? search.bounds
        if let shape {
            bounds.devices = shape.devices.count
            bounds.barsPerDevice = shape.devices.map(\.slots.count).max() ?? 1
            bounds.bridges = shape.bridges
        }
        self.bounds = bounds
        self.pageShift = pageShift
        context = Context()
        let logic = try Symbolic(context)
        self.logic = logic
        solver = try Solver(context, tactics: SolverStrategy.bitBlastTactics, unsatCores: false)
        solver.limits = search.limitsValue
        solver.randomSeed = search.seedValue
        var words: [String] = []
        var truths: [String] = []
        machine = MachineLayout.make(logic, bounds: bounds, pageShift: pageShift, target: target,
                                     word: { words.append($0); return logic.variable($0) },
                                     truth: { truths.append($0); return logic.flag($0) })
        wordNames = words
        truthNames = truths
        var platform = search.platform
        platform.pageSizes = [PageSize(rawValue: 1 << UInt64(pageShift))!]
        let s = machine.situation
        try solver.assert(machine.allocatorFacts(logic))
        try solver.assert(s.wellFormed(logic))
        try solver.assert(platform.constrains(s.platform, logic))
        try solver.assert(self.policy.allows(s, logic))
        if let facts { try solver.assert(Self.fix(facts, s.platform, logic)) }
        if let shape { try solver.assert(Self.fix(shape, machine, logic)) }
        try logic.throwIfFailed()
    }

    static func fix(_ f: PlatformFacts, _ p: PlatformTerms<Symbolic>, _ l: Symbolic) -> BoolTerm {
        func fixed(_ t: BoolTerm, _ v: Bool) -> BoolTerm { v ? t : l.not(t) }
        return l.and(fixed(p.msiIsolated, f.msiIsolated), fixed(p.allowUnsafeInterrupts, f.allowUnsafeInterrupts),
                     fixed(p.type1, f.backend == .type1), fixed(p.iommufd, f.backend == .iommufd),
                     fixed(p.spapr, f.backend == .spapr), fixed(p.noiommu, f.backend == .noiommu),
                     fixed(p.unalignedFixedAllowed, f.unalignedFixedResources),
                     l.and(HostFact.allCases.map { fixed(p[$0], f.value(of: $0)) }))
    }

    /// Holds the machine's structure: which devices and slots exist, their kinds, sizes before any
    /// `resource_alignment` resize, upstream bridges, and the mapped device's MSI-X capability.
    static func fix(_ shape: MachineShape, _ m: MachineTerms<Symbolic>, _ l: Symbolic) -> BoolTerm {
        var facts: [BoolTerm] = []
        func fixed(_ t: BoolTerm, _ v: Bool) -> BoolTerm { v ? t : l.not(t) }
        for (d, device) in m.devices.enumerated() {
            let s = d < shape.devices.count ? shape.devices[d] : nil
            facts.append(fixed(device.present, s != nil))
            guard let s else { continue }
            facts.append(l.equal(device.upstream, l.word(UInt64(s.upstream))))
            for (k, slot) in device.slots.enumerated() {
                guard k < s.slots.count else { facts.append(l.not(slot.implemented)); continue }
                let want = s.slots[k]
                facts.append(slot.implemented)
                facts.append(l.equal(slot.index, l.word(UInt64(want.index))))
                facts.append(fixed(slot.io, want.kind == .io))
                facts.append(fixed(slot.is64, want.kind == .mem64))
                facts.append(fixed(slot.prefetchable, want.prefetchable))
                facts.append(fixed(slot.fixed, want.fixed))
                // The hardware size; a resize may only grow the resource to the alignment.
                facts.append(l.or(l.equal(slot.resource.size, l.word(want.size)),
                                  l.and(l.less(l.word(want.size), slot.resource.size), l.isPowerOfTwo(slot.resource.size),
                                        m.resizedTo(d, k, size: slot.resource.size, l))))
            }
        }
        for (k, bridge) in m.bridges.enumerated() { facts.append(fixed(bridge.present, k < shape.bridges)) }
        let x = m.situation.msix
        if let msix = shape.devices[m.target.device].msix {
            facts.append(x.present)
            facts.append(l.equal(x.tableBIR, l.word(UInt64(msix.tableBIR))))
            facts.append(l.equal(x.tableOffset, l.word(UInt64(msix.tableOffset))))
            facts.append(l.equal(x.tableSize, l.word(msix.tableSize)))
            facts.append(l.equal(x.pbaBIR, l.word(UInt64(msix.pbaBIR))))
            facts.append(l.equal(x.pbaOffset, l.word(UInt64(msix.pbaOffset))))
        } else {
            facts.append(l.not(x.present))
        }
        return l.and(facts)
    }

    /// The shape-fixed machine: can any placement break the invariant?
    func decide() throws -> CheckResult {
        try solver.withScope {
            try solver.assert(machine.violation(search.invariant, logic))
            try logic.throwIfFailed()
            return try solver.check(assuming: [])
        }
    }

    private func check(_ extra: [BoolTerm]) throws -> CheckResult {
        try solver.withScope {
            for term in extra { try solver.assert(term) }
            try logic.throwIfFailed()
            return try solver.check(assuming: [])
        }
    }

    /// The next counterexample whose view is not blocked.
    func next(blocked: [ViewKey], minimize: Bool, notes: inout [String]) throws -> SessionOutcome {
        let violation = machine.violation(search.invariant, blocked: blocked, logic)
        let outcome: SessionOutcome
        switch try check([violation]) {
        case .unsat:
            outcome = .none
        case .unknown(let reason):
            outcome = .unknown(reason)
        case .sat(let model):
            var assignment = try self.assignment(model)
            if minimize {
                assignment = try self.minimize(assignment, blocked: blocked, notes: &notes)
            }
            let key = try viewKey(of: assignment, blocked: blocked)
            outcome = .found(try counterexample(assignment, key: key), key)
        }
        return outcome
    }

    // MARK: Minimisation

    /// Lexicographic tightening of a satisfiable assignment, among the views not yet blocked: fewest devices,
    /// fewest BARs, a whole-BAR mmap when one exists, smallest sizes, lowest addresses. Each step
    /// keeps what it found as a constraint; a step that meets `unknown` stops the tightening.
    private func minimize(_ start: Assignment, blocked: [ViewKey], notes: inout [String]) throws -> Assignment {
        let l = logic
        var kept: [BoolTerm] = [machine.violation(search.invariant, blocked: blocked, l)]
        var best = start
        func attempt(_ extra: [BoolTerm]) throws -> Assignment?? {
            switch try check(kept + extra) {
            case .sat(let model): return .some(try assignment(model))
            case .unsat: return .some(nil)
            case .unknown(let reason):
                notes.append("minimisation stopped early (\(reason)); the counterexample is valid but may not be minimal")
                return nil
            }
        }
        // Fewest devices: devices are used in order, so "at most n" is "device n absent".
        let present = machine.devices.indices.filter { best.truth("d\($0).present") }.count
        for n in 1..<Swift.max(present, 1) {
            guard let found = try attempt([l.not(machine.devices[n].present)]) else { return best }
            if let found { best = found; kept.append(l.not(machine.devices[n].present)); break }
        }
        for (d, device) in machine.devices.enumerated() { kept.append(best.truth("d\(d).present") ? device.present : l.not(device.present)) }
        // Fewest BARs.
        let implemented = machine.devices.indices.flatMap { d in machine.devices[d].slots.indices.map { (d, $0) } }
        func count(_ a: Assignment) -> Int {
            implemented.filter { a.truth("d\($0.0).present") && a.truth("d\($0.0).bar\($0.1).implemented") }.count
        }
        let total = l.add(implemented.map { d, k in
            l.ite(l.and(machine.devices[d].present, machine.devices[d].slots[k].implemented), l.word(1), l.word(0))
        })
        for m in 1..<Swift.max(count(best), 1) {
            let bound = l.lessOrEqual(total, l.word(UInt64(m)))
            guard let found = try attempt([bound]) else { return best }
            if let found { best = found; break }
        }
        for (d, k) in implemented {
            let flag = machine.devices[d].slots[k].implemented
            kept.append(best.truth("d\(d).bar\(k).implemented") ? flag : l.not(flag))
        }
        // A whole-BAR mmap (what `barproof audit` checks) when one breaks the invariant too.
        let s = machine.situation
        let whole = l.and(l.equal(s.request.offset, l.word(0)),
                          l.equal(s.request.length, l.pageUp(s.bar.resource.size, s.platform)))
        guard let wholeFound = try attempt([whole]) else { return best }
        if let wholeFound { best = wholeFound; kept.append(whole) }
        // The plainest machine that still shows the view: the type1 backend (what `barproof
        // audit` assumes), then BARs that are not firmware-fixed, prefetchable, 64-bit or I/O.
        var preferences: [BoolTerm] = [s.platform.type1]
        for (d, k) in implemented where best.truth("d\(d).bar\(k).implemented") && best.truth("d\(d).present") {
            let slot = machine.devices[d].slots[k]
            preferences += [l.not(slot.fixed), l.not(slot.prefetchable), l.not(slot.is64), l.not(slot.io)]
        }
        for preference in preferences {
            guard let found = try attempt([preference]) else { return best }
            if let found { best = found; kept.append(preference) }
        }
        // Smallest sizes, then lowest addresses, each in device and slot order.
        var values: [(String, BitVector, UInt64)] = []
        for (d, k) in implemented where best.truth("d\(d).bar\(k).implemented") && best.truth("d\(d).present") {
            values.append(("d\(d).bar\(k).size", machine.devices[d].slots[k].resource.size, bounds.minBARSize))
        }
        values.append(("host.start", machine.host.start, bounds.mmio.start))
        for (k, bridge) in machine.bridges.enumerated() where best.truth("bridge\(k).present") {
            values.append(("bridge\(k).start", bridge.window.start, 0))
        }
        for (d, k) in implemented where best.truth("d\(d).bar\(k).implemented") && best.truth("d\(d).present") {
            values.append(("d\(d).bar\(k).start", machine.devices[d].slots[k].resource.start, 0))
        }
        for (d, k) in implemented where best.truth("d\(d).bar\(k).implemented") && best.truth("d\(d).present") {
            values.append(("d\(d).bar\(k).index", machine.devices[d].slots[k].index, 0))
        }
        values.append((SituationLayout.Name.mmapOffset, s.request.offset, 0))
        // Then the tightest windows around what was placed.
        values.append(("host.size", machine.host.size, 1 << 20))
        for (k, bridge) in machine.bridges.enumerated() where best.truth("bridge\(k).present") {
            values.append(("bridge\(k).size", bridge.window.size, 1 << 20))
        }
        for (name, term, floor) in values {
            var low = floor, high = best.word(name)
            while low < high {
                let mid = low + (high - low) / 2
                guard let found = try attempt([l.lessOrEqual(term, l.word(mid))]) else { return best }
                if let found { best = found; high = Swift.min(mid, found.word(name)) } else { low = mid + 1 }
            }
            kept.append(l.equal(term, l.word(best.word(name))))
        }
        return best
    }

    // MARK: Models

    private func assignment(_ model: Model) throws -> Assignment {
        var result = Assignment()
        for name in wordNames { result.words[name] = try model.value(logic.variable(name)) }
        for name in truthNames { result.truths[name] = try model.value(logic.flag(name)) }
        result.words[SituationLayout.Name.pageSize] = 1 << UInt64(pageShift)
        try logic.throwIfFailed()
        return result
    }

    private func concreteMachine(_ a: Assignment) -> MachineTerms<Concrete> {
        MachineLayout.make(Concrete(), bounds: bounds, pageShift: pageShift, target: machine.target, word: a.word, truth: a.truth)
    }

    /// The view of the first case (in order) that holds concretely and is not blocked.
    private func viewKey(of a: Assignment, blocked: [ViewKey]) throws -> ViewKey {
        let c = Concrete()
        for v in concreteMachine(a).viewCases(search.invariant, c) where v.formula {
            let key = ViewKey(family: v.family, bits: v.bits)
            if !blocked.contains(key) { return key }
        }
        throw ProverError("a model of the violation of \(search.invariant.rawValue) shows no unblocked case concretely")
    }

    /// Re-checks the assignment with the ``Concrete`` rules and turns it into a topology.
    private func counterexample(_ a: Assignment, key: ViewKey) throws -> TopologyCounterexample {
        let c = Concrete()
        let m = concreteMachine(a)
        let s = m.situation
        var failures: [String] = []
        if !m.allocatorFacts(c) { failures.append("allocator facts") }
        if !s.wellFormed(c) { failures.append("model facts") }
        for clause in policy.clauses where !clause.rule.holds(s, c) { failures.append(clause.id) }
        guard let viewCase = m.viewCases(search.invariant, c).first(where: { $0.formula && ViewKey(family: $0.family, bits: $0.bits) == key })
        else { throw ProverError("counterexample for \(search.invariant.rawValue) under \(policy.label) does not reproduce: no case with its view holds") }
        let topology = self.topology(a)
        failures += topology.placementProblems(unalignedFixedAllowed: s.platform.unalignedFixedAllowed)
        if !failures.isEmpty {
            throw ProverError("counterexample for \(search.invariant.rawValue) under \(policy.label) does not reproduce concretely: "
                              + failures.joined(separator: "; "))
        }
        func reference(_ d: Int, _ k: Int) -> BARReference {
            BARReference(function: MachineNaming.functionAddress(slot: d, upstream: Int(a.word("d\(d).upstream"))),
                         index: Int(a.word("d\(d).bar\(k).index")))
        }
        let target = reference(m.target.device, m.target.slot)
        let foreign = viewCase.neighbour.flatMap { m.neighbourSources[$0] }.map { reference($0.device, $0.slot) }
        let x = s.exposed(c)
        let facts = PlatformFacts(pageSize: 1 << UInt64(pageShift), msiIsolated: s.platform.msiIsolated,
                                  allowUnsafeInterrupts: s.platform.allowUnsafeInterrupts,
                                  backend: s.platform.type1 ? .type1 : s.platform.iommufd ? .iommufd : s.platform.spapr ? .spapr : .noiommu,
                                  unalignedFixedResources: s.platform.unalignedFixedAllowed,
                                  hostFacts: Dictionary(uniqueKeysWithValues: policy.readHostFacts.map { ($0.rawValue, s.platform[$0]) }))
        return TopologyCounterexample(topology: topology, invariant: search.invariant, policy: policy, platform: facts,
                                      target: target, requestOffset: s.request.offset, requestLength: s.request.length,
                                      exposed: Topology.Window(start: x.first, end: x.last), foreign: foreign,
                                      view: key.view(policy: policy))
    }

    private func topology(_ a: Assignment) -> Topology {
        let hostStart = a.word("host.start")
        let host = Topology.Window(start: hostStart, end: hostStart &+ (a.word("host.size") &- 1))
        var bridges: [Topology.Bridge] = []
        for k in 0..<bounds.bridges where a.truth("bridge\(k).present") {
            let start = a.word("bridge\(k).start")
            bridges.append(Topology.Bridge(address: MachineNaming.bridgeAddress(k), secondaryBus: UInt8(k + 1),
                                           window: Topology.Window(start: start, end: start &+ (a.word("bridge\(k).size") &- 1))))
        }
        var functions: [Topology.Function] = []
        for d in 0..<bounds.devices where a.truth("d\(d).present") {
            let upstream = Int(a.word("d\(d).upstream"))
            var bars: [Topology.PlacedBAR] = []
            for k in 0..<bounds.barsPerDevice where a.truth("d\(d).bar\(k).implemented") {
                let p = "d\(d).bar\(k)"
                let kind: BARKind = a.truth("\(p).io") ? .io : a.truth("\(p).is64") ? .mem64 : .mem32
                bars.append(Topology.PlacedBAR(index: Int(a.word("\(p).index")), kind: kind,
                                               prefetchable: a.truth("\(p).prefetchable"), start: a.word("\(p).start"),
                                               size: a.word("\(p).size"), fixed: a.truth("\(p).fixed")))
            }
            var msix: MSIXCapability?
            if d == machine.target.device && a.truth(SituationLayout.Name.msixPresent) {
                msix = MSIXCapability(tableBIR: Int(a.word(SituationLayout.Name.tableBIR)), tableOffset: UInt32(a.word(SituationLayout.Name.tableOffset)),
                                      entries: Int(a.word(SituationLayout.Name.tableSize) / 16), pbaBIR: Int(a.word(SituationLayout.Name.pbaBIR)),
                                      pbaOffset: UInt32(a.word(SituationLayout.Name.pbaOffset)))
            }
            functions.append(Topology.Function(
                address: MachineNaming.functionAddress(slot: d, upstream: upstream), vendorID: MachineNaming.vendorID,
                deviceID: MachineNaming.deviceID(slot: d), classCode: MachineNaming.classCode, bars: bars, msix: msix,
                upstream: upstream == 0 ? nil : MachineNaming.bridgeAddress(upstream - 1)))
        }
        return Topology(pageSize: 1 << UInt64(pageShift), hostWindow: host, bridges: bridges, functions: functions)
    }
}
