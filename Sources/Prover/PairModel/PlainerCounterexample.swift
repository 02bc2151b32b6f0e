import PCIModel
import VFIORules

/// A pair-model counterexample as a reader expects a machine to look. Z3 answers with whatever
/// model it finds first: addresses near 2^64, a parent window at an odd byte, the noiommu backend.
/// Each step here changes the assignment towards a plainer machine and is kept only when the
/// machine still reproduces (`reproduces`: the same concrete re-check a counterexample passes
/// before it is reported), so the result is as sound as the model it started from; where no step
/// reproduces, the model is returned unchanged. Steps, in order:
///
/// 1. The platform `barproof audit` assumes: the type1 backend, MSIs isolated,
///    `allow_unsafe_interrupts` off, unaligned fixed/EA resources not allowed.
/// 2. BARs that are not firmware-fixed.
/// 3. The parent window shrunk to the 1 MiB-granular window around the BAR and the neighbours
///    inside it (as a bridge window would be).
/// 4. Every address moved down by one common distance so that the lowest lies just above 2 GiB
///    (or 256 GiB), keeping each address's remainder modulo the largest alignment any fact could read
///    (the largest resource size rounded up to a power of two, the page size, 1 MiB), so natural
///    alignment, page offsets and window granularity are what they were. A machine whose
///    violation rests on addresses wrapping at 2^64 does not reproduce there and keeps its own.
///
/// Between 2 and 3, each size (the BAR's, each neighbour's, the mmap's length, the MSI-X table's
/// entries) is replaced by the smallest power of two below it that still reproduces.
///
/// This is not the search's minimisation (`search --minimize` tightens sizes and addresses with
/// the solver over a whole machine); `barproof search` builds a whole machine.
enum PlainerCounterexample {
    static func plainer(_ example: Counterexample, reproduces: (Assignment) -> Bool) -> Counterexample {
        var best = example.assignment
        /// Keeps the change when it changes something and the machine still reproduces.
        @discardableResult func attempt(_ change: (inout Assignment) -> Bool) -> Bool {
            var candidate = best
            guard change(&candidate), candidate != best, reproduces(candidate) else { return false }
            best = candidate
            return true
        }
        /// Keeps the first of `values`, smallest first, that `set` can give and still reproduce.
        func smallest(_ values: [UInt64], _ set: @escaping (inout Assignment, UInt64) -> Void) {
            for value in values where attempt({ set(&$0, value); return true }) { break }
        }
        let backends = [SituationLayout.Name.type1, SituationLayout.Name.iommufd, SituationLayout.Name.spapr, SituationLayout.Name.noiommu]
        attempt { a in a.truths[SituationLayout.Name.msiIsolated] = true; return true }
        attempt { a in
            for name in backends { a.truths[name] = name == backends[0] }
            return true
        }
        attempt { a in a.truths[SituationLayout.Name.allowUnsafeInterrupts] = false; return true }
        attempt { a in a.truths[SituationLayout.Name.unalignedFixed] = false; return true }
        let resources = [SituationLayout.barNames] + (0..<example.neighbours).map(SituationLayout.neighbourNames)
        for names in resources { attempt { a in a.truths[names.fixed] = false; return true } }

        for names in resources {
            smallest(smallerSizes(best.word(names.size))) { a, size in a.words[names.size] = size }
        }
        let page = example.pageShift.map { UInt64(1) << UInt64($0) } ?? best.word(SituationLayout.Name.pageSize)
        smallest(smallerSizes(best.word(SituationLayout.Name.mmapLength)).filter { $0 >= page && $0 % page == 0 }) { a, length in
            a.words[SituationLayout.Name.mmapLength] = length
        }
        smallest(smallerSizes(best.word(SituationLayout.Name.tableSize) / 16)) { a, entries in
            a.words[SituationLayout.Name.tableSize] = entries * 16
            a.words[SituationLayout.Name.pbaSize] = (entries + 63) / 64 * 8
        }
        attempt { a in tightenParent(&a, resources: resources) }
        for base: UInt64 in [0x8000_0000, 0x40_0000_0000] {
            attempt { a in translate(&a, resources: resources, pageShift: example.pageShift, to: base) }
        }
        var plain = example
        plain.assignment = best
        return plain
    }

    /// The powers of two below `size`, smallest first: the sizes tried in place of a model's.
    static func smallerSizes(_ size: UInt64) -> [UInt64] {
        (0..<64).map { UInt64(1) << UInt64($0) }.filter { $0 < size }
    }

    /// Moves every address (the BAR's, the neighbours', the parent window's start) by one
    /// distance, so the lowest is the first address at or above `base` with its remainder
    /// modulo the alignment; false when it would not lower the machine or the top would pass 2^64.
    static func translate(_ a: inout Assignment, resources: [SituationLayout.ResourceNames], pageShift: Int?,
                          to base: UInt64) -> Bool {
        let starts = resources.map(\.start) + [SituationLayout.Name.parentStart]
        let sizes = resources.map(\.size) + [SituationLayout.Name.parentSize]
        let page = pageShift.map { UInt64(1) << UInt64($0) } ?? a.word(SituationLayout.Name.pageSize)
        var alignment = max(page, 1 << 20)
        for name in sizes {
            let size = a.word(name)
            guard size <= 1 << 62 else { return false }
            if size > alignment { alignment = size.nextPowerOfTwo }
        }
        guard alignment <= 1 << 62 else { return false }
        let lowest = starts.map(a.word).min() ?? 0
        let highest = zip(starts, sizes).map { a.word($0) &+ (a.word($1) &- 1) }.max() ?? 0
        guard highest >= lowest else { return false }
        let (rounded, overflow) = base.addingReportingOverflow(alignment - 1)
        guard !overflow else { return false }
        let target = (rounded & ~(alignment - 1)) &+ (lowest & (alignment - 1))
        // Only ever lower: a machine already low stays where it is.
        guard target < lowest, target <= UInt64.max - (highest - lowest) else { return false }
        let distance = target &- lowest
        for name in starts { a.words[name] = a.word(name) &+ distance }
        return true
    }

    /// The parent window set to the 1 MiB-aligned window around the BAR and every neighbour the
    /// assignment places inside the parent.
    static func tightenParent(_ a: inout Assignment, resources: [SituationLayout.ResourceNames]) -> Bool {
        let inside = [resources[0]] + resources.dropFirst().filter { a.truth($0.inParent) }
        let low = inside.map { a.word($0.start) }.min() ?? 0
        let high = inside.map { a.word($0.start) &+ (a.word($0.size) &- 1) }.max() ?? 0
        guard high >= low, high <= UInt64.max - (1 << 20) else { return false }
        let start = low & ~((1 << 20) - 1), end = (high | ((1 << 20) - 1))
        a.words[SituationLayout.Name.parentStart] = start
        a.words[SituationLayout.Name.parentSize] = end - start + 1
        return true
    }
}

extension UInt64 {
    /// The smallest power of two at or above this value (which is at most 2^63).
    var nextPowerOfTwo: UInt64 { self <= 1 ? 1 : UInt64(1) << UInt64(64 - (self - 1).leadingZeroBitCount) }
}
