import PCIModel
import Prover
import Reports
import VFIORules

/// `memory-map.svg`: the pages around a counterexample's violation, drawn as plain SVG 1.1 with no
/// external resources and a fixed layout, so the same counterexample always gives the same bytes.
///
/// Layout: a horizontal address axis over the exposed range rounded out to pages plus one page of
/// context on each side; one row per parent window and per memory BAR on those pages, each BAR a
/// box coloured by its device; the mmapped (exposed) range as a dashed outline over every row and
/// a row of its own; the foreign bytes it exposes (another device's BAR, the MSI-X table, bytes
/// past the BAR) hatched red; page boundaries with their addresses; a title with the invariant,
/// the policy and the page size; a legend. The context pages are left out where the host window
/// does not reach into them. The axis is piecewise linear: cut at every box edge and (up to
/// ``maximumPageEdges`` pages) every page boundary, each stretch at least ``minimumBoxWidth``
/// wide and the rest of the width shared in proportion to size (``Axis``), so a 4 KiB BAR in a
/// 64 KiB page, or a 16-byte MSI-X table, is wide enough to carry its label.
public enum MemoryMapSVG {
    public static let width = 1000
    static let labelColumn = 320.0
    static let rightMargin = 20.0
    static let rowHeight = 24.0
    static let rowGap = 8.0
    public static let minimumBoxWidth = 48.0
    /// Up to this many pages in view, every page boundary cuts the axis.
    static let maximumPageEdges: UInt64 = 64
    /// One colour per device, in address order of the devices drawn.
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac"]

    struct Row {
        var label: String
        var boxes: [Box]
    }

    struct Box {
        var start: UInt64
        var end: UInt64
        var fill: String
        var stroke: String
        var dashed = false
        /// Drawn inside the box when it fits (every BAR's box does: ``minimumBoxWidth``).
        var label: String?
    }

    /// The SVG of `cx` at its page size `pageSize` (``TopologyCounterexample/page``).
    public static func render(_ cx: TopologyCounterexample, page pageSize: PageSize) -> String {
        let page = pageSize.rawValue
        let (viewStart, viewEnd) = view(cx, page: pageSize)
        let x0 = labelColumn, x1 = Double(width) - rightMargin
        func clip(_ start: UInt64, _ end: UInt64) -> (UInt64, UInt64)? {
            let s = max(start, viewStart), e = min(end, viewEnd)
            return s <= e ? (s, e) : nil
        }
        let axis = Axis(start: viewStart, end: viewEnd, edges: edges(cx, view: (viewStart, viewEnd), page: page),
                        from: x0, to: x1, minimumWidth: minimumBoxWidth)
        func x(_ address: UInt64) -> Double { axis.x(address) }
        func xEnd(_ last: UInt64) -> Double { last >= viewEnd ? x1 : x(last + 1) }
        let scene = scene(cx, page: pageSize, clip: clip)
        let rows = scene.rows, hatched = scene.hatched, tables = scene.tables
        var legend = scene.legend
        legend.append((nil, "\(hexText(viewStart))-\(hexText(viewEnd)), not to scale: each stretch between box edges and page"))
        legend.append((nil, "boundaries is at least \(Int(minimumBoxWidth)) px wide, the rest of the width shared in proportion to size."))

        // Vertical geometry.
        let titleY = 30.0, subtitleY = 50.0, axisLabelY = 78.0
        let rowsTop = 92.0
        func rowY(_ i: Int) -> Double { rowsTop + Double(i) * (rowHeight + rowGap) }
        let rowsBottom = rowY(rows.count) - rowGap
        let legendTop = rowsBottom + 36
        let height = Int(legendTop + Double(legend.count) * 20 + 16)

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="monospace" font-size="12">

            """
        let title = "\(cx.invariant.rawValue) violated: \(cx.policy), \(sizeText(page)) pages"
        svg += "<title>\(xmlEscaped(title))</title>\n"
        svg += """
            <defs>
            <pattern id="foreign" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
            <rect x="0" y="0" width="6" height="6" fill="#ffd6d6"/>
            <line x1="0" y1="0" x2="0" y2="6" stroke="#d00000" stroke-width="3"/>
            </pattern>
            </defs>
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>

            """
        svg += text(10, titleY, title, size: 16, bold: true)
        var subtitle = "\(cx.target) mmapped"
        if let foreign = cx.foreign { subtitle += "; exposes \(foreign)" }
        subtitle += "; allowed through \(cx.view.clause)"
        svg += text(10, subtitleY, subtitle, size: 12)

        // Page boundaries: every page when there are few, else every page that starts a stretch of
        // the axis; labels at least 120 px apart.
        func boundaryLine(_ bx: Double) -> String {
            "<line x1=\"\(fmt(bx))\" y1=\"\(fmt(axisLabelY + 4))\" x2=\"\(fmt(bx))\" y2=\"\(fmt(rowsBottom + 6))\" stroke=\"#bbbbbb\" stroke-width=\"1\"/>\n"
        }
        var lastLabel = -Double.infinity
        for address in axis.pageBoundaries(pageSize: page) {
            let bx = x(address)
            svg += boundaryLine(bx)
            // A label that would run past the right edge is left out (10 px monospace: ~6.1 px a character).
            let label = hexText(address)
            if bx >= lastLabel + 120 && bx + 2 + 6.1 * Double(label.count) <= Double(width) {
                svg += text(bx + 2, axisLabelY, label, size: 10, fill: "#555555")
                lastLabel = bx
            }
        }
        svg += boundaryLine(x1)

        // Drawn last, over the hatching and the table stripes.
        var boxLabels: [String] = []
        for (i, row) in rows.enumerated() {
            let y = rowY(i)
            svg += text(10, y + rowHeight * 0.68, row.label, size: 11)
            for box in row.boxes {
                guard let (s, e) = clip(box.start, box.end) else { continue }
                let bx = x(s), w = max(xEnd(e) - bx, minimumBoxWidth)
                svg += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight))\" fill=\"\(box.fill)\" stroke=\"\(box.stroke)\" stroke-width=\"\(box.dashed ? "2" : "1")\"\(box.dashed ? " stroke-dasharray=\"6,3\"" : "")/>\n"
                if let label = box.label, 6.1 * Double(label.count) + 4 <= w {
                    boxLabels.append(text(bx + w / 2 - 3.05 * Double(label.count), y + rowHeight * 0.68, label, size: 10, bold: true))
                }
            }
        }
        for h in hatched {
            guard let (s, e) = clip(h.start, h.end) else { continue }
            let bx = x(s), w = max(xEnd(e) - bx, minimumBoxWidth)
            svg += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(rowY(h.row) + 3))\" width=\"\(fmt(w))\" height=\"\(fmt(rowHeight - 6))\" fill=\"url(#foreign)\" stroke=\"#d00000\" stroke-width=\"1\"/>\n"
        }
        for table in tables {
            guard let (s, e) = clip(table.start, table.end) else { continue }
            let bx = x(s), w = max(xEnd(e) - bx, minimumBoxWidth)
            svg += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(rowY(table.row) + rowHeight - 7))\" width=\"\(fmt(w))\" height=\"6\" fill=\"#222222\"/>\n"
        }
        svg += boxLabels.joined()
        // The exposed range outlined across every row.
        if let (s, e) = clip(cx.exposed.start, cx.exposed.end) {
            let bx = x(s), w = max(xEnd(e) - bx, minimumBoxWidth)
            svg += "<rect x=\"\(fmt(bx))\" y=\"\(fmt(rowsTop - 4))\" width=\"\(fmt(w))\" height=\"\(fmt(rowsBottom - rowsTop + 8))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"2\" stroke-dasharray=\"6,3\"/>\n"
        }

        svg += legendSVG(legend, top: legendTop)
        svg += "</svg>\n"
        return svg
    }

    /// The addresses shown: the exposed pages, with one page of context each side when the host
    /// window reaches into it (a page outside every window holds nothing to draw), kept inside
    /// 0...2^64 - 1; inclusive.
    static func view(_ cx: TopologyCounterexample, page pageSize: PageSize) -> (start: UInt64, end: UInt64) {
        let page = pageSize.rawValue, host = cx.topology.hostWindow
        let exposedFirst = pageSize.pageDown(cx.exposed.start)
        let exposedLastPage = pageSize.pageDown(cx.exposed.end)
        let before = exposedFirst >= page ? exposedFirst - page : exposedFirst
        let start = before < exposedFirst && host.start <= before &+ (page - 1) ? before : exposedFirst
        let after = exposedLastPage <= UInt64.max - page ? exposedLastPage + page : exposedLastPage
        let lastPage = after > exposedLastPage && host.end >= after ? after : exposedLastPage
        return (start, lastPage &+ (page - 1))  // lastPage + page - 1 never wraps (page-aligned)
    }

    /// Where the axis is cut: every page boundary (up to ``maximumPageEdges`` pages), every
    /// memory BAR's and MSI-X table's edges, and the exposed range's.
    static func edges(_ cx: TopologyCounterexample, view: (start: UInt64, end: UInt64), page: UInt64) -> [UInt64] {
        let pages = (view.end - view.start) / page + 1
        var edges: [UInt64] = []
        if pages <= maximumPageEdges { edges += (0...pages).map { view.start &+ $0 &* page } }
        for f in cx.topology.functions {
            for bar in f.bars where bar.kind.isMemory && bar.size > 0 {
                edges += [bar.start, bar.end &+ 1]
                if let table = f.msixBytes(in: bar) { edges += [table.start, table.end &+ 1] }
            }
        }
        return edges + [cx.exposed.start, cx.exposed.end &+ 1]
    }

    /// What is drawn, before any coordinate: the rows (windows, BARs, the mmap), the hatched
    /// and table stripes by row, and the legend's device and meaning entries.
    struct Scene {
        var rows: [Row] = []
        var hatched: [(row: Int, start: UInt64, end: UInt64)] = []
        var tables: [(row: Int, start: UInt64, end: UInt64)] = []
        var legend: [(swatch: String?, text: String)] = []
    }

    static func scene(_ cx: TopologyCounterexample, page pageSize: PageSize,
                      clip: (UInt64, UInt64) -> (UInt64, UInt64)?) -> Scene {
        let t = cx.topology, page = pageSize.rawValue
        var rows: [Row] = []
        // Devices with a memory BAR in view, in address order, each with its colour.
        let shownFunctions = t.functions.sorted { $0.address < $1.address }.filter { f in
            f.bars.contains { $0.kind.isMemory && $0.size > 0 && clip($0.start, $0.end) != nil }
        }
        var colour: [PCIAddress: String] = [:]
        for (i, f) in shownFunctions.enumerated() { colour[f.address] = palette[i % palette.count] }

        // Parent windows in view, outermost first.
        var windows: [(String, Topology.Window)] = [("PCI Bus \(hexString(UInt64(t.functions.first?.address.domain ?? 0), width: 4)):00 (host window)", t.hostWindow)]
        for b in t.bridges.sorted(by: { $0.address < $1.address }) {
            windows.append(("PCI Bus \(hexString(UInt64(b.address.domain), width: 4)):\(hexString(UInt64(b.secondaryBus), width: 2)) (bridge \(b.address))", b.window))
        }
        for (name, w) in windows where clip(w.start, w.end) != nil {
            rows.append(Row(label: name, boxes: [Box(start: w.start, end: w.end, fill: "#eeeeee", stroke: "#999999")]))
        }
        var bars: [(Topology.Function, Topology.PlacedBAR)] = []
        for f in shownFunctions {
            for bar in f.bars where bar.kind.isMemory && bar.size > 0 && clip(bar.start, bar.end) != nil { bars.append((f, bar)) }
        }
        bars.sort { ($0.1.start, $0.0.address, $0.1.index) < ($1.1.start, $1.0.address, $1.1.index) }
        var hatched: [(row: Int, start: UInt64, end: UInt64)] = []
        var tables: [(row: Int, start: UInt64, end: UInt64)] = []
        for (f, bar) in bars {
            let isTarget = f.address == cx.target.function && bar.index == cx.target.index
            let role = isTarget ? " (mmapped)" : (cx.foreign.map { $0.function == f.address && $0.index == bar.index } ?? false) ? " (foreign)" : ""
            let label = "\(f.address) BAR \(bar.index) \(bar.kind.rawValue) \(sizeText(bar.size))\(role)"
            let fill = colour[f.address] ?? palette[0]
            rows.append(Row(label: label, boxes: [Box(start: bar.start, end: bar.end, fill: fill, stroke: isTarget ? "#000000" : "#333333",
                                                      label: "BAR \(bar.index)")]))
            let row = rows.count - 1
            if let table = f.msixBytes(in: bar) {
                let first = table.start, last = table.end
                tables.append((row, first, last))
                if cx.invariant == .msixNeedsFiltering && f.address == cx.target.function,
                   let (s, e) = overlap(first, last, cx.exposed.start, cx.exposed.end) {
                    hatched.append((row, s, e))
                }
            }
            if cx.invariant == .pageExclusive && f.address != cx.target.function,
               let (s, e) = overlap(bar.start, bar.end, cx.exposed.start, cx.exposed.end) {
                hatched.append((row, s, e))
            }
        }
        rows.append(Row(label: "mmap \(hexText(cx.requestOffset))+\(hexText(cx.requestLength)) (exposed)",
                        boxes: [Box(start: cx.exposed.start, end: cx.exposed.end, fill: "#ffffff", stroke: "#000000", dashed: true)]))
        let exposedRow = rows.count - 1
        if cx.invariant == .mmapWithinBAR, let bar = t.function(cx.target.function)?.bar(cx.target.index) {
            let first = pageSize.pageDown(bar.start)
            let last = pageSize.pageDown(bar.end) &+ (page - 1)
            if cx.exposed.start < first { hatched.append((exposedRow, cx.exposed.start, min(cx.exposed.end, first - 1))) }
            if cx.exposed.end > last { hatched.append((exposedRow, max(cx.exposed.start, last + 1), cx.exposed.end)) }
        }

        var legend: [(swatch: String?, text: String)] = []
        for f in shownFunctions {
            let barsText = f.bars.filter { $0.kind.isMemory && $0.size > 0 }.map { bar in
                "BAR \(bar.index) \(hexText(bar.start))-\(hexText(bar.end))"
            }.joined(separator: ", ")
            legend.append((colour[f.address], "\(f.address) [\(hexString(UInt64(f.vendorID), width: 4)):\(hexString(UInt64(f.deviceID), width: 4))]: \(barsText)"))
        }
        legend.append(("exposed", "dashed outline: the bytes the allowed mmap exposes, \(hexText(cx.exposed.start))-\(hexText(cx.exposed.end))"))
        legend.append(("hatch", hatchedMeaning(cx)))
        if !tables.isEmpty { legend.append(("table", "dark stripe: the MSI-X table")) }
        return Scene(rows: rows, hatched: hatched, tables: tables, legend: legend)
    }

    /// The legend's lines from `top` down, each with its swatch.
    static func legendSVG(_ legend: [(swatch: String?, text: String)], top: Double) -> String {
        var svg = ""
        for (i, entry) in legend.enumerated() {
            let y = top + Double(i) * 20
            switch entry.swatch {
            case "exposed":
                svg += "<rect x=\"10\" y=\"\(fmt(y - 11))\" width=\"24\" height=\"14\" fill=\"none\" stroke=\"#000000\" stroke-width=\"2\" stroke-dasharray=\"6,3\"/>\n"
            case "hatch":
                svg += "<rect x=\"10\" y=\"\(fmt(y - 11))\" width=\"24\" height=\"14\" fill=\"url(#foreign)\" stroke=\"#d00000\" stroke-width=\"1\"/>\n"
            case "table":
                svg += "<rect x=\"10\" y=\"\(fmt(y - 7))\" width=\"24\" height=\"6\" fill=\"#222222\"/>\n"
            case let colour?:
                svg += "<rect x=\"10\" y=\"\(fmt(y - 11))\" width=\"24\" height=\"14\" fill=\"\(colour)\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
            case nil:
                break
            }
            svg += text(entry.swatch == nil ? 10 : 42, y, entry.text, size: 11)
        }
        return svg
    }

    /// A piecewise linear address axis over `start...end` (inclusive) drawn from `from` to `to`:
    /// cut at `edges` (those strictly inside the range), each stretch at least `minimumWidth`
    /// (when they all fit; else all equal), the rest of the width shared in proportion to length.
    struct Axis {
        let start: UInt64
        /// Each stretch's first address as an offset from `start`, then the range's length, with
        /// the stretch's left x (the last at `to`). Offsets, so that addresses near 2^64 keep
        /// their low bits in a Double.
        private var cuts: [(offset: Double, x: Double)] = []
        private var stretchStarts: [UInt64] = []

        init(start: UInt64, end: UInt64, edges: [UInt64], from: Double, to: Double, minimumWidth: Double) {
            self.start = start
            var starts = Set(edges.filter { $0 > start && $0 <= end })
            starts.insert(start)
            stretchStarts = starts.sorted()
            let bounds = stretchStarts.map { Double($0 - start) } + [Double(end - start) + 1]
            let lengths = (0..<stretchStarts.count).map { bounds[$0 + 1] - bounds[$0] }
            let total = to - from
            var widths: [Double]
            if Double(lengths.count) * minimumWidth >= total {
                widths = Array(repeating: total / Double(lengths.count), count: lengths.count)
            } else {
                // Stretches whose share would be under the minimum get the minimum; the rest share
                // what is left in proportion to length, repeated until no share falls under it.
                var fixed = Set<Int>()
                while true {
                    let free = total - Double(fixed.count) * minimumWidth
                    let freeLength = lengths.indices.filter { !fixed.contains($0) }.map { lengths[$0] }.reduce(0, +)
                    let scale = freeLength > 0 ? free / freeLength : 0
                    let under = lengths.indices.filter { !fixed.contains($0) && lengths[$0] * scale < minimumWidth }
                    if under.isEmpty {
                        widths = lengths.indices.map { fixed.contains($0) ? minimumWidth : lengths[$0] * scale }
                        break
                    }
                    fixed.formUnion(under)
                }
            }
            var x = from
            for (i, offset) in bounds.dropLast().enumerated() {
                cuts.append((offset, x))
                x += widths[i]
            }
            cuts.append((bounds[bounds.count - 1], to))
        }

        /// The x of `address`'s left edge (clamped to the range).
        func x(_ address: UInt64) -> Double {
            guard address > start else { return cuts[0].x }
            let a = Double(address - start)
            // The last cut at or below the address.
            var low = 0, high = cuts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if cuts[mid].offset <= a { low = mid } else { high = mid - 1 }
            }
            guard low < cuts.count - 1 else { return cuts[cuts.count - 1].x }
            let (a0, x0) = cuts[low], (a1, x1) = cuts[low + 1]
            return x0 + (a - a0) / (a1 - a0) * (x1 - x0)
        }

        /// The page boundaries that start a stretch: every page when each page is cut, else the
        /// pages where a box begins or ends on a page boundary, with the range's first.
        func pageBoundaries(pageSize: UInt64) -> [UInt64] {
            stretchStarts.filter { $0 & (pageSize &- 1) == 0 }
        }
    }

    static func hatchedMeaning(_ cx: TopologyCounterexample) -> String {
        switch cx.invariant {
        case .pageExclusive: "red hatch: another device's bytes inside the exposed range"
        case .msixNeedsFiltering: "red hatch: MSI-X table bytes inside the exposed range, MSIs not isolated"
        case .mmapWithinBAR: "red hatch: exposed bytes past the page-rounded extent of the BAR"
        }
    }

    static func overlap(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64)? {
        let s = max(a, c), e = min(b, d)
        return s <= e ? (s, e) : nil
    }

    static func text(_ x: Double, _ y: Double, _ content: String, size: Int, bold: Bool = false, fill: String = "#000000") -> String {
        "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" font-size=\"\(size)\"\(bold ? " font-weight=\"bold\"" : "") fill=\"\(fill)\">\(xmlEscaped(content))</text>\n"
    }

    /// Two decimals at most, no exponent, no locale: deterministic coordinates.
    static func fmt(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let whole = magnitude / 100, fraction = magnitude % 100
        if fraction == 0 { return "\(sign)\(whole)" }
        return fraction % 10 == 0 ? "\(sign)\(whole).\(fraction / 10)" : "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// `&`, `<`, `>`, `"` and `'` as XML entities.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}
