import PropertyBased
import VFIORules

/// A `RandomNumberGenerator` over the property checker's seeded generator, so the standard
/// library's `random(in:using:)` can draw from it (and the run stays reproducible by seed).
/// A weighted way to make a value.
typealias Choice<T> = (weight: Int, make: (inout Draw) -> T)

struct Draw: RandomNumberGenerator {
    var base: any SeededRandomNumberGenerator
    mutating func next() -> UInt64 { base.next() }

    mutating func word(_ range: ClosedRange<UInt64> = 0...UInt64.max) -> UInt64 { UInt64.random(in: range, using: &self) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func bool() -> Bool { Bool.random(using: &self) }
    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { int(0...(denominator - 1)) < numerator }
    mutating func pick(_ options: [UInt64]) -> UInt64 { options[int(0...(options.count - 1))] }
    /// Runs one of `choices`, each weighted.
    mutating func oneOf(_ choices: [Choice<UInt64>]) -> UInt64 { choose(choices) }
    mutating func oneOf(_ choices: [Choice<(UInt64, UInt64)>]) -> (UInt64, UInt64) { choose(choices) }

    private mutating func choose<T>(_ choices: [Choice<T>]) -> T {
        var roll = int(0...(choices.map(\.0).reduce(0, +) - 1))
        for (weight, make) in choices {
            if roll < weight { return make(&self) }
            roll -= weight
        }
        fatalError("unreachable")
    }
}

/// Word generators that deliberately hit the edges of 64-bit unsigned arithmetic.
enum Edge {
    static let pageSizes: [UInt64] = [4096, 16384, 65536]

    /// 2^k, or a neighbour of it (2^k - 1, 2^k + 1).
    static func powerOfTwoNeighbour(_ d: inout Draw, bits: ClosedRange<Int> = 0...63) -> UInt64 {
        let p: UInt64 = 1 << UInt64(d.int(bits))
        return d.oneOf([(2, { _ in p }), (1, { _ in p &- 1 }), (1, { _ in p &+ 1 })])
    }

    /// A word from a mix of special values, powers of two and their neighbours, page multiples
    /// (aligned and not), values near 2^32, 2^40, 2^57 and 2^64, small values and fully random ones.
    static func word(_ d: inout Draw) -> UInt64 {
        d.oneOf([
            (3, { d in d.pick([0, 1, 2, 7, 8, 15, 16, UInt64.max, UInt64.max - 1, 1 << 63, (1 << 63) - 1, (1 << 63) + 1]) }),
            (4, { d in powerOfTwoNeighbour(&d) }),
            (3, { d in d.word(0...64) * d.pick(pageSizes) }),
            (2, { d in d.word(0...(1 << 40)) & ~UInt64(0xfff) }),
            (2, { d in d.word(0...(1 << 40)) }),
            (2, { d in UInt64.max - d.word(0...0x20000) }),
            (1, { d in d.pick([UInt64(1) << 32, 1 << 40, 1 << 57]) &+ UInt64(bitPattern: Int64(d.int(-0x10000...0x10000))) }),
            (2, { d in d.word(0...256) }),
            (4, { d in d.word() }),
        ])
    }

    /// A word shaped like a shift amount or index: mostly 0...8, often 0...70, sometimes anything.
    static func small(_ d: inout Draw) -> UInt64 {
        d.oneOf([(6, { d in d.word(0...8) }), (3, { d in d.word(0...70) }), (1, { d in word(&d) })])
    }

    /// A size: edge words, powers of two, sub-page sizes, page multiples.
    static func size(_ d: inout Draw) -> UInt64 {
        d.oneOf([
            (4, { d in powerOfTwoNeighbour(&d) }),
            (1, { _ in 0 }),
            (2, { d in d.pick([4, 8, 16, 128, 256, 2048, 4095, 4096, 4097, 16384, 65535, 65536, 65537]) }),
            (1, { d in d.word(1...0x1ffff) }),
            (1, { d in d.word(1...64) * d.pick(pageSizes) }),
            (2, { d in word(&d) }),
        ])
    }

    /// A start for a resource of `size`: aligned to it, page-aligned, unaligned, ending exactly at
    /// 2^64 - 1 (start = 2^64 - size) or one byte past it, at UInt64.max, zero, or random.
    static func start(size: UInt64, _ d: inout Draw) -> UInt64 {
        d.oneOf([
            (3, { d in size.nonzeroBitCount == 1 ? d.word() & ~(size - 1) : d.word() }),
            (2, { d in d.word() & ~(d.pick(pageSizes) - 1) }),
            (2, { d in (d.word() & ~(d.pick(pageSizes) - 1)) | d.pick([4, 8, 0x800, 0xfff, 0x1000]) }),
            (2, { d in 0 &- size }),
            (1, { d in 0 &- size &+ d.pick([1, 2, UInt64.max, UInt64.max - 1]) }),
            (1, { d in d.pick([UInt64.max, 0, 1 << 63, UInt64.max - 0xfff]) }),
            (2, { d in word(&d) }),
        ])
    }

    /// A resource that obeys the model facts: non-empty and not wrapping past 2^64 - 1.
    static func tameResource(_ d: inout Draw) -> (start: UInt64, size: UInt64) {
        let size: UInt64 = d.oneOf([
            (4, { d in 1 << UInt64(d.int(0...40)) }),
            (1, { d in 1 << UInt64(d.int(41...63)) }),
            (1, { d in d.pick([UInt64.max, UInt64.max / 2 + 1]) }),
            (2, { d in d.word(1...0x20000) }),
        ])
        let start: UInt64 = d.oneOf([
            (4, { d in size.nonzeroBitCount == 1 ? d.word(0...(UInt64.max - (size - 1))) & ~(size - 1) : d.word(0...(UInt64.max - (size - 1))) }),
            (2, { _ in 0 &- size }),
            (1, { d in d.word(0...(UInt64.max - (size - 1))) }),
            (1, { _ in 0 }),
        ])
        return (start, size)
    }
}

/// The random machines the differential test evaluates: one assignment to every variable of
/// a situation with up to two neighbours and a symbolic page size.
enum SituationGen {
    static let maxNeighbours = 2

    /// Half of the cases are "tame" (most model facts hold, so the rules' interesting branches are
    /// taken), half "wild" (any word anywhere, including values the model facts rule out).
    static var assignment: Generator<Assignment, Shrink.None<Assignment>> {
        Generator { rng in
            var d = Draw(base: rng)
            let result = make(&d)
            rng = d.base
            return result
        }
    }

    static func make(_ d: inout Draw) -> Assignment {
        var a = Assignment()
        let tame = d.bool()

        // Platform: the page size (used only by the symbolic-page-size situations).
        let page: UInt64 = tame && d.chance(3, in: 4)
            ? d.pick(Edge.pageSizes)
            : d.oneOf([(3, { d in d.pick(Edge.pageSizes) }), (3, { d in Edge.powerOfTwoNeighbour(&d) }),
                       (1, { d in d.pick([0, 1, 2048, 1 << 63, UInt64.max]) }), (1, { d in Edge.word(&d) })])
        a.words["platform.page-size"] = page
        for flag in ["msi-isolated", "allow-unsafe-interrupts", "unaligned-fixed"] {
            a.truths["platform.\(flag)"] = d.bool()
        }
        for fact in HostFact.allCases { a.truths[fact.variable] = d.bool() }
        // All 16 backend combinations uniformly when wild; exactly one backend mostly when tame.
        let backendBits = tame && d.chance(4, in: 5) ? 1 << d.int(0...3) : d.int(0...15)
        for (i, backend) in ["type1", "iommufd", "spapr", "noiommu"].enumerated() {
            a.truths["platform.backend-\(backend)"] = backendBits & (1 << i) != 0
        }

        // The mmapped BAR.
        var bar = Edge.tameResource(&d)
        if !tame {
            bar.size = Edge.size(&d)
            bar.start = Edge.start(size: bar.size, &d)
        }
        a.words["bar.start"] = bar.start
        a.words["bar.size"] = bar.size
        a.words["bar.index"] = tame ? d.word(0...6) : Edge.small(&d)
        flags("bar", &a, &d)
        let barLast = bar.start &+ (bar.size &- 1)
        let localPage = page.nonzeroBitCount == 1 ? page : 4096

        // The parent window: around the BAR, exactly it, its page, or anywhere.
        let parent: (UInt64, UInt64) = d.oneOf([
            (3, { d in
                let far = d.word(0...(1 << 30))
                let below = d.pick([0, 1, 8, localPage, localPage - 1, far])
                let start = bar.start &- min(below, bar.start)
                let farther = d.word(0...(1 << 30))
                let above = d.pick([0, 1, localPage, farther])
                return (start, barLast &- start &+ 1 &+ above)
            }),
            (1, { _ in (bar.start, bar.size) }),
            (1, { _ in (bar.start & ~(localPage - 1), localPage) }),
            (1, { _ in (0, 0) }),
            (1, { d in (0, d.pick([UInt64.max, 0])) }),
            (2, { d in
                let size = Edge.size(&d)
                return (Edge.start(size: size, &d), size)
            }),
        ])
        a.words["parent.start"] = parent.0
        a.words["parent.size"] = parent.1

        // Neighbours: adjacent to the BAR, in its page, overlapping it, or anywhere.
        for i in 0..<maxNeighbours {
            let size = tame ? Edge.tameResource(&d).size : Edge.size(&d)
            let start: UInt64 = d.oneOf([
                (2, { _ in barLast &+ 1 }),
                (1, { _ in bar.start &- size }),
                (2, { d in (bar.start & ~(localPage - 1)) &+ d.word(0...(localPage - 1)) }),
                (1, { d in barLast &+ d.pick([0, 1, 2, localPage - 1, localPage, localPage + 1]) }),
                (1, { d in bar.start &+ (bar.size == 0 ? 0 : d.word(0...(bar.size - 1))) }),
                (1, { d in (barLast | (localPage - 1)) &+ d.pick([0, 1]) }),
                (2, { d in Edge.start(size: size, &d) }),
            ])
            a.words["other\(i).start"] = start
            a.words["other\(i).size"] = size
            a.words["other\(i).index"] = tame ? d.word(0...6) : Edge.small(&d)
            flags("other\(i)", &a, &d)
            a.truths["other\(i).same-device"] = d.bool()
            a.truths["other\(i).in-parent"] = d.bool()
        }

        // The request: page-granular (at 4 KiB, 64 KiB or the page size) or not, within the BAR or past it,
        // near the 1 TiB and 2^57 bounds, or with offset + length wrapping past 2^64.
        let grain = d.pick([localPage, 4096, 65536, 65536])
        let offset: UInt64 = d.oneOf([
            (3, { d in d.word(0...16) &* grain }),
            (2, { d in bar.size <= 1 ? 0 : d.word(0...(bar.size - 1)) & ~(grain - 1) }),
            (1, { d in (1 << 40) &+ d.pick([0, grain, 0 &- grain]) }),
            (1, { d in d.word(0...((1 << 40) - 1)) & ~(grain - 1) }),
            (1, { d in d.word(0...(1 << 20)) }),
            (tame ? 0 : 2, { d in Edge.word(&d) }),
        ])
        let length: UInt64 = d.oneOf([
            (3, { d in d.word(1...16) &* grain }),
            (2, { _ in ((bar.size &+ grain &- 1) & ~(grain - 1)) &- (offset & ~(grain - 1)) }),
            (1, { _ in bar.size }),
            (1, { d in (1 << 57) &+ d.pick([0, grain, 0 &- grain]) }),
            (1, { _ in 0 &- offset }),
            (1, { d in (0 &- offset) &+ d.pick([grain, 1, UInt64.max, 0 &- grain]) }),
            (1, { d in d.pick([0, UInt64.max, grain]) }),
            (tame ? 0 : 2, { d in Edge.word(&d) }),
        ])
        a.words["mmap.offset"] = offset
        a.words["mmap.length"] = length

        // MSI-X: table sizes at and beyond 16...32768, offsets within the BAR, at its end, and
        // near 2^32, QWORD-aligned or not; BIRs on the BAR or a neighbour, in 0...7 or past it.
        a.truths["msix.present"] = d.chance(3, in: 4)
        let entries: UInt64 = d.oneOf([(3, { d in d.word(1...2048) }), (2, { d in d.pick([1, 2, 63, 64, 65, 2047, 2048]) }),
                                       (tame ? 0 : 1, { d in d.pick([0, 2049, 4096, UInt64.max / 16]) })])
        let tableSize: UInt64 = tame || d.chance(2, in: 3)
            ? entries &* 16
            : d.oneOf([(1, { d in d.pick([0, 8, 15, 17, 32784, 32768 + 8, UInt64.max - 15]) }), (1, { d in Edge.word(&d) })])
        a.words["msix.table-size"] = tableSize
        let pbaSize = ((entries &+ 63) >> 6) << 3
        let wildPBASize = Edge.word(&d)
        a.words["msix.pba-size"] = tame || d.chance(2, in: 3) ? pbaSize : d.pick([0, pbaSize &+ 8, pbaSize &- 8, wildPBASize])
        for (key, size) in [("table", tableSize), ("pba", pbaSize)] {
            let qwordAligned = tame || d.chance(3, in: 4)
            var offset: UInt64 = d.oneOf([
                (3, { d in bar.size <= 1 ? 0 : d.word(0...(bar.size - 1)) }),
                (1, { _ in 0 }),
                (1, { _ in bar.size &- size }),
                (1, { d in bar.size &- d.pick([8, 16, 0]) }),
                (2, { d in (1 << 32) &+ d.pick([0, 8, 0 &- 8, 0 &- 16, 0 &- size]) }),
                (1, { d in d.word(0...0xffff_ffff) }),
                (tame ? 0 : 1, { d in Edge.word(&d) }),
            ])
            if tame { offset = min(offset, 0xffff_fff8) }
            a.words["msix.\(key)-offset"] = qwordAligned ? offset & ~7 : offset | d.pick([1, 4, 7])
            let bir: UInt64 = d.oneOf([
                (3, { _ in a.words["bar.index"]! }),
                (1, { _ in a.words["other0.index"]! }),
                (1, { _ in a.words["other1.index"]! }),
                (2, { d in d.word(0...7) }),
                (tame ? 0 : 1, { d in Edge.small(&d) }),
            ])
            a.words["msix.\(key)-bir"] = bir
        }
        return a
    }

    /// The Boolean fields of a BAR: every combination, biased to a claimed memory BAR.
    private static func flags(_ prefix: String, _ a: inout Assignment, _ d: inout Draw) {
        a.truths["\(prefix).memory"] = d.chance(4, in: 5)
        a.truths["\(prefix).fixed"] = d.bool()
        a.truths["\(prefix).claimed"] = d.chance(4, in: 5)
    }
}
