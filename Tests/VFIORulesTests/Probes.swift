import PCIModel
import VFIORules

/// One value a probe produces: a word or a truth of the logic it was built in.
enum ProbeValue<L: Logic> {
    case word(L.Word)
    case truth(L.Truth)
}

/// A value as it is compared: the concrete `UInt64`/`Bool`, or what Z3's model says.
enum Outcome: Equatable, CustomStringConvertible {
    case word(UInt64)
    case truth(Bool)

    var description: String {
        switch self {
        case let .word(value): "0x" + String(value, radix: 16)
        case let .truth(value): "\(value)"
        }
    }
}

/// Every formula the differential test compares, built by the one generic function below so
/// that the concrete and the symbolic side list the same formulas in the same order.
struct Probes<L: Logic> {
    private(set) var names: [String] = []
    private(set) var values: [ProbeValue<L>] = []

    mutating func word(_ name: String, _ value: L.Word) {
        names.append(name)
        values.append(.word(value))
    }

    mutating func truth(_ name: String, _ value: L.Truth) {
        names.append(name)
        values.append(.truth(value))
    }

    mutating func span(_ name: String, _ value: Span<L>) {
        word(name + ".first", value.first)
        word(name + ".last", value.last)
    }

    mutating func cases(_ name: String, _ cases: [Case<L>]) {
        for (i, c) in cases.enumerated() {
            truth("\(name)[\(i)].exact", c.exact)
            if let relaxation = c.relaxation { truth("\(name)[\(i)].relaxation", relaxation) }
        }
    }
}

/// The platform specs whose `constrains` is compared: every fact fixed each way and left open.
let probedPlatformSpecs: [PlatformSpec] = [
    .any,
    PlatformSpec(pageSizes: [.kib4]),
    PlatformSpec(pageSizes: [.kib16]),
    PlatformSpec(pageSizes: [.kib64]),
    PlatformSpec(pageSizes: [.kib4, .kib64]),
    PlatformSpec(pageSizes: [], backends: []),
    PlatformSpec(msiIsolated: true),
    PlatformSpec(msiIsolated: false, allowUnsafeInterrupts: false),
    PlatformSpec(allowUnsafeInterrupts: true),
    PlatformSpec(backends: [.type1]),
    PlatformSpec(backends: [.iommufd, .spapr]),
    PlatformSpec(backends: [.noiommu]),
    PlatformSpec(pageSizes: [.kib64], msiIsolated: false, allowUnsafeInterrupts: false, backends: [.type1, .iommufd],
                 unalignedFixedResources: true),
    PlatformSpec(unalignedFixedResources: true),
]

/// The policies whose `allows` is compared: the three, and one with a clause dropped.
let probedPolicies: [Policy] = Policy.all + [try! Policy.mainline.removing(["subpage-reservation"])]

/// The bit counts `lowBitsZero` is probed with, including the out-of-range ones.
let probedLowBits = [-1, 0, 1, 3, 4, 11, 12, 13, 14, 16, 32, 40, 57, 63, 64, 65]

extension Probes {
    /// Builds every probe over `s` in `l`.
    static func all(_ s: Situation<L>, _ l: L) -> Probes<L> {
        var p = Probes<L>()
        p.primitives(s, l)
        p.derived(s, l)
        p.rules(s, l)
        return p
    }

    /// The `Logic` operations themselves, on operand pairs chosen so that the generators' edge
    /// cases meet: overflowing sums, shifts by 0...64 and beyond, equal and adjacent values.
    private mutating func primitives(_ s: Situation<L>, _ l: L) {
        let bar = s.bar.resource
        var pairs: [(String, L.Word, L.Word)] = [
            ("bar.start,bar.size", bar.start, bar.size),
            ("mmap.offset,mmap.length", s.request.offset, s.request.length),
            ("bar.size,page", bar.size, s.platform.pageSize),
            ("bar.start,parent.start", bar.start, s.parent.start),
            ("parent.start,parent.size", s.parent.start, s.parent.size),
            ("table-offset,table-size", s.msix.tableOffset, s.msix.tableSize),
            ("bar.index,table-bir", s.bar.index, s.msix.tableBIR),
            ("pba-offset,pba-size", s.msix.pbaOffset, s.msix.pbaSize),
        ]
        for (i, n) in s.neighbours.enumerated() {
            pairs.append(("other\(i).start,bar.start", n.bar.resource.start, bar.start))
            pairs.append(("other\(i).size,other\(i).start", n.bar.resource.size, n.bar.resource.start))
        }
        for (name, a, b) in pairs {
            p(name, a, b, l)
        }
        // Shifts by amounts the generators keep near 0...64 (indices and BIRs), and by random ones.
        var amounts: [(String, L.Word)] = [("bar.index", s.bar.index), ("table-bir", s.msix.tableBIR),
                                           ("pba-bir", s.msix.pbaBIR), ("bar.size", bar.size)]
        for (i, n) in s.neighbours.enumerated() { amounts.append(("other\(i).index", n.bar.index)) }
        let shifted: [(String, L.Word)] = [("bar.start", bar.start), ("mmap.length", s.request.length),
                                          ("page", s.platform.pageSize), ("one", l.word(1)), ("max", l.word(.max))]
        for (xName, x) in shifted {
            for (yName, y) in amounts {
                word("shl(\(xName),\(yName))", l.shiftLeft(x, y))
                word("lshr(\(xName),\(yName))", l.shiftRight(x, y))
            }
        }
        let singles: [(String, L.Word)] = [
            ("bar.start", bar.start), ("bar.size", bar.size), ("page", s.platform.pageSize),
            ("mmap.offset", s.request.offset), ("mmap.length", s.request.length), ("parent.size", s.parent.size),
            ("table-offset", s.msix.tableOffset), ("table-size", s.msix.tableSize), ("pba-size", s.msix.pbaSize),
        ] + s.neighbours.enumerated().map { ("other\($0.offset).size", $0.element.bar.resource.size) }
        for (name, x) in singles {
            word("not(\(name))", l.bitNot(x))
            truth("isPowerOfTwo(\(name))", l.isPowerOfTwo(x))
            for bits in probedLowBits { truth("lowBitsZero(\(name),\(bits))", l.lowBitsZero(x, bits: bits)) }
        }
        // Truth connectives over the flags, with and without duplicates and empty lists.
        let flags = [s.bar.isMemory, s.bar.fixed, s.bar.claimed, s.msix.present, s.platform.msiIsolated,
                     s.platform.allowUnsafeInterrupts, s.platform.type1, s.platform.iommufd]
        truth("and()", l.and([L.Truth]()))
        truth("or()", l.or([L.Truth]()))
        truth("and(flags)", l.and(flags))
        truth("or(flags)", l.or(flags))
        truth("and(flags[0])", l.and([flags[0]]))
        truth("or(flags[1])", l.or([flags[1]]))
        truth("yes", l.yes)
        truth("no", l.no)
        for i in flags.indices {
            let a = flags[i], b = flags[(i + 1) % flags.count]
            truth("not(flag\(i))", l.not(a))
            truth("implies(flag\(i),next)", l.implies(a, b))
            truth("iff(flag\(i),next)", l.iff(a, b))
            truth("and(flag\(i),next,flag\(i))", l.and(a, b, a))
            truth("or(flag\(i),not(next))", l.or(a, l.not(b)))
            word("ite(flag\(i),bar.start,bar.size)", l.ite(a, bar.start, bar.size))
        }
    }

    private mutating func p(_ name: String, _ a: L.Word, _ b: L.Word, _ l: L) {
        word("add(\(name))", l.add(a, b))
        word("sub(\(name))", l.sub(a, b))
        word("and(\(name))", l.bitAnd(a, b))
        word("or(\(name))", l.bitOr(a, b))
        truth("eq(\(name))", l.equal(a, b))
        truth("ne(\(name))", l.notEqual(a, b))
        truth("lt(\(name))", l.less(a, b))
        truth("le(\(name))", l.lessOrEqual(a, b))
        truth("gt(\(name))", l.greater(a, b))
        truth("ge(\(name))", l.greaterOrEqual(a, b))
        truth("addsWithoutOverflow(\(name))", l.addsWithoutOverflow(a, b))
        truth("isAligned(\(name))", l.isAligned(a, to: b))
        word("min(\(name))", l.minimum(a, b))
        word("ite(lt,\(name))", l.ite(l.less(a, b), b, a))
        let sa = Span<L>(first: a, last: b)
        let sb = Span<L>(first: b, last: l.add(b, a))
        truth("overlaps(\(name))", l.overlaps(sa, sb))
        truth("contains(\(name))", l.contains(sa, sb))
    }

    /// The situation's derived quantities, as the rules use them.
    private mutating func derived(_ s: Situation<L>, _ l: L) {
        let bar = s.bar.resource
        let barSpan = l.span(bar)
        span("span(bar)", barSpan)
        span("span(parent)", l.span(s.parent))
        // The page helpers with the situation's platform (fixed shift or symbolic size) and,
        // when the shift is fixed, with the same page size taken as a word (the general encoding).
        var platforms: [(String, PlatformTerms<L>)] = [("platform", s.platform)]
        if s.platform.pageShift != nil {
            var general = s.platform
            general.pageShift = nil
            platforms.append(("platform-by-size", general))
        }
        let pageOperands: [(String, L.Word)] = [
            ("bar.start", bar.start), ("bar.size", bar.size), ("bar.last", barSpan.last),
            ("mmap.offset", s.request.offset), ("mmap.length", s.request.length), ("parent.start", s.parent.start),
            ("table-offset", s.msix.tableOffset),
        ] + s.neighbours.enumerated().map { ("other\($0.offset).start", $0.element.bar.resource.start) }
        for (pName, platform) in platforms {
            for (name, x) in pageOperands {
                word("pageDown(\(name);\(pName))", l.pageDown(x, platform))
                word("pageUp(\(name);\(pName))", l.pageUp(x, platform))
                truth("isPageAligned(\(name);\(pName))", l.isPageAligned(x, platform))
            }
        }
        truth("naturallyAligned(bar)", l.naturallyAligned(bar))
        truth("naturallyAligned(parent)", l.naturallyAligned(s.parent))
        for (i, n) in s.neighbours.enumerated() {
            truth("naturallyAligned(other\(i))", l.naturallyAligned(n.bar.resource))
            span("span(other\(i))", l.span(n.bar.resource))
        }
        span("exposed", s.exposed(l))
        span("subpageReservation", s.subpageReservation(l))
        truth("isSubpage", s.isSubpage(l))
        truth("requestOverlapsTable", s.requestOverlapsTable(l))
        var holders: [(String, ResourceTerms<L>)] = [
            ("bar", bar), ("bar-offsets", ResourceTerms(start: l.word(0), size: bar.size)), ("parent", s.parent),
        ]
        for (i, n) in s.neighbours.enumerated() { holders.append(("other\(i)", n.bar.resource)) }
        for (name, holder) in holders {
            let bytes = s.tableBytes(in: holder, l)
            truth("tableBytes(\(name)).exists", bytes.exists)
            span("tableBytes(\(name))", bytes.span)
        }
        truth("tableReachable", s.tableReachable(l))
        cases("tableReachableCases", s.tableReachableCases(l))
    }

    /// Rules, policies, assumptions, invariants, model facts and platform specs.
    private mutating func rules(_ s: Situation<L>, _ l: L) {
        for rule in Rule.allCases { truth("rule \(rule.rawValue)", rule.holds(s, l)) }
        for policy in probedPolicies { truth("policy \(policy.label)", policy.allows(s, l)) }
        for assumption in Assumption.allCases { truth("assumption \(assumption.rawValue)", assumption.holds(s, l)) }
        for invariant in Invariant.allCases {
            truth("\(invariant.rawValue).violated", invariant.violated(s, l))
            truth("\(invariant.rawValue).premise", invariant.premise(s, l))
            cases("\(invariant.rawValue).violationCases", invariant.violationCases(s, l))
            cases("\(invariant.rawValue).premiseCases", invariant.premiseCases(s, l))
        }
        truth("wellFormed", s.wellFormed(l))
        for (i, spec) in probedPlatformSpecs.enumerated() {
            truth("constrains[\(i)] \(spec.label)", spec.constrains(s.platform, l))
        }
    }
}
