import PropertyBased
import Testing
import VFIORules

/// The differential test is only as good as the machines it draws: these check, on a fixed seed,
/// that the generator reaches every edge the brief of the test names.
@Suite(.timeLimit(.minutes(1))) struct GeneratorTests {
    static let samples: [Assignment] = {
        var draw = Draw(base: Xoshiro(seed: (5, 6, 7, 8)))
        return (0..<3_000).map { _ in SituationGen.make(&draw) }
    }()

    /// The share of samples where `property` holds.
    func rate(_ property: (Assignment) -> Bool) -> Double {
        Double(Self.samples.filter(property).count) / Double(Self.samples.count)
    }

    static func isPowerOfTwo(_ x: UInt64) -> Bool { x.nonzeroBitCount == 1 }

    @Test(arguments: [
        "bar ends at 2^64 - 1 (start = 2^64 - size)", "bar runs past 2^64 - 1", "bar starts at UInt64.max",
        "bar size zero", "bar size 2^k", "bar size 2^k - 1", "bar size 2^k + 1", "bar size above 2^63",
        "bar start page-aligned", "bar start not page-aligned", "sub-page bar",
        "request offset + length overflows", "request offset + length wraps to exactly 0",
        "request offset at 1 TiB", "request length above 2^57", "request not 4 KiB-granular",
        "table size 16", "table size 32768", "table size past 32768", "table size zero", "table size not 16-granular",
        "table offset within 16 of 2^32", "table offset not QWORD-aligned", "table offset past the BAR",
        "table BIR is the BAR", "table BIR past 7",
        "page size 4/16/64 KiB", "page size not a power of two", "page size zero",
        "neighbour adjacent to the BAR", "neighbour in the BAR's page", "neighbour at the top of memory",
        "index past 6", "index 64 or more",
        "fully random word",
    ])
    func reaches(_ edge: String) {
        let page: UInt64 = 4096
        let found = rate { a in
            let start = a.word("bar.start"), size = a.word("bar.size")
            let offset = a.word("mmap.offset"), length = a.word("mmap.length")
            let tableSize = a.word("msix.table-size"), tableOffset = a.word("msix.table-offset")
            let pageSize = a.word("platform.page-size")
            switch edge {
            case "bar ends at 2^64 - 1 (start = 2^64 - size)": return size != 0 && start &+ size == 0
            case "bar runs past 2^64 - 1": return size != 0 && start.addingReportingOverflow(size - 1).overflow
            case "bar starts at UInt64.max": return start == .max
            case "bar size zero": return size == 0
            case "bar size 2^k": return Self.isPowerOfTwo(size) && size > 2
            case "bar size 2^k - 1": return Self.isPowerOfTwo(size &+ 1) && size > 2
            case "bar size 2^k + 1": return Self.isPowerOfTwo(size &- 1) && size > 2
            case "bar size above 2^63": return size > 1 << 63
            case "bar start page-aligned": return start % page == 0 && start != 0
            case "bar start not page-aligned": return start % page != 0
            case "sub-page bar": return size > 0 && size < page
            case "request offset + length overflows": return offset.addingReportingOverflow(length).overflow
            case "request offset + length wraps to exactly 0": return offset != 0 && offset &+ length == 0
            case "request offset at 1 TiB": return offset == 1 << 40
            case "request length above 2^57": return length > 1 << 57
            case "request not 4 KiB-granular": return offset % page != 0 || length % page != 0
            case "table size 16": return tableSize == 16
            case "table size 32768": return tableSize == 32768
            case "table size past 32768": return tableSize > 32768
            case "table size zero": return tableSize == 0
            case "table size not 16-granular": return tableSize % 16 != 0
            case "table offset within 16 of 2^32": return tableOffset >= (1 << 32) - 16 && tableOffset <= (1 << 32) + 16
            case "table offset not QWORD-aligned": return tableOffset % 8 != 0
            case "table offset past the BAR": return tableOffset >= size
            case "table BIR is the BAR": return a.word("msix.table-bir") == a.word("bar.index")
            case "table BIR past 7": return a.word("msix.table-bir") > 7
            case "page size 4/16/64 KiB": return [4096, 16384, 65536].contains(pageSize)
            case "page size not a power of two": return !Self.isPowerOfTwo(pageSize)
            case "page size zero": return pageSize == 0
            case "neighbour adjacent to the BAR": return a.word("other0.start") == start &+ size
            case "neighbour in the BAR's page": return a.word("other0.start") / page == start / page
            case "neighbour at the top of memory":
                return a.word("other1.start") &+ a.word("other1.size") == 0 && a.word("other1.size") != 0
            case "index past 6": return a.word("bar.index") > 6
            case "index 64 or more": return a.word("bar.index") >= 64 || a.word("other0.index") >= 64
            case "fully random word":
                // A start with high bits set that is neither near the top nor a power of two.
                return start > 1 << 60 && start < UInt64.max - (1 << 40) && start.nonzeroBitCount > 8
            default: Issue.record("unknown edge \(edge)"); return false
            }
        }
        #expect(found > 0.002, "\(edge): \(found)")
    }

    @Test func everyBackendCombination() {
        let combinations = Set(Self.samples.map { a in
            ["type1", "iommufd", "spapr", "noiommu"].map { a.truth("platform.backend-\($0)") }
        })
        #expect(combinations.count == 16)
    }

    @Test func everyFlagCombinationOfABAR() {
        let combinations = Set(Self.samples.map { a in
            ["memory", "fixed", "claimed"].map { a.truth("bar.\($0)") } + [a.truth("msix.present")]
        })
        #expect(combinations.count == 16)
    }

    /// About half the machines are tame, and enough of them satisfy every model fact that the
    /// rules are compared on the machines the prover reasons about, at every page size.
    @Test(arguments: [12, 16, nil] as [Int?])
    func manyAreWellFormed(pageShift: Int?) {
        let wellFormed = rate { a in
            Situation<Concrete>.concrete(a, neighbours: 2, pageShift: pageShift).wellFormed(Concrete())
        }
        #expect(wellFormed > 0.02, "well-formed: \(wellFormed)")
    }
}
