/// A plain-text map of one page, as the audit and the search print it: 64 cells, each 1/64 of the
/// page; `#` the mapped BAR, `A`, `B`, ... the other resources on the page (listed below the map in
/// that order), `.` nothing. One renderer, so an audited host and a searched counterexample show
/// a shared page the same way.
public enum PageMap {
    /// A resource on the page: what it is and its bytes (inclusive).
    public struct Resource: Sendable {
        public var label: String
        public var start: UInt64
        public var end: UInt64

        public init(label: String, start: UInt64, end: UInt64) {
            self.label = label
            self.start = start
            self.end = end
        }
    }

    /// The lines for the page at `page` (its first byte) of `size` bytes: a title (`page <address>`
    /// and `title`), the map and one line per resource of `resources` on the page, each indented
    /// by two spaces.
    public static func lines(page: UInt64, size: UInt64, bar: (start: UInt64, end: UInt64), resources: [Resource],
                             title: String = "is shared with:") -> [String] {
        let cells: UInt64 = 64
        let cellSize = max(size / cells, 1)
        let onPage = resources.filter { $0.start <= page &+ (size - 1) && page <= $0.end }
        var map = ""
        for i in 0..<cells {
            let first = page &+ i * cellSize, last = first &+ (cellSize - 1)
            if let k = onPage.firstIndex(where: { $0.start <= last && first <= $0.end }) {
                map.append(letter(k))
            } else if bar.start <= last && first <= bar.end {
                map.append("#")
            } else {
                map.append(".")
            }
        }
        var out = ["page \(hexPadded(page, 16)) \(title)",
                   "  |\(map)|  (\(sizeText(cellSize)) a cell; # this BAR)"]
        for (k, r) in onPage.enumerated() {
            out.append("  \(letter(k)) \(hexPadded(r.start, 16))-\(hexPadded(r.end, 16)) \(r.label)")
        }
        return out
    }

    /// The first bytes of the pages (of `size` bytes) within `exposed` that hold one of
    /// `resources`, in address order, at most `limit` of them; `more` when there are others.
    public static func sharedPages(exposed: (first: UInt64, last: UInt64), size: UInt64, resources: [Resource],
                                   limit: Int) -> (pages: [UInt64], more: Bool) {
        var shared = Set<UInt64>()
        let mask = ~(size - 1)
        for r in resources {
            var p = max(r.start & mask, exposed.first & mask)
            let last = min(r.end & mask, exposed.last & mask)
            while p <= last, shared.count <= limit {
                shared.insert(p)
                let (next, overflow) = p.addingReportingOverflow(size)
                if overflow { break }
                p = next
            }
        }
        return (Array(shared.sorted().prefix(limit)), shared.count > limit)
    }

    static func letter(_ k: Int) -> Character { Character(UnicodeScalar(UInt8(65 + k % 26))) }
}
