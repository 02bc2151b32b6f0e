import PCIModel

/// Closed intervals sorted by start, with a segment tree of the largest end in each span of that
/// order, so that the intervals overlapping a range are found in start order in
/// O((k + 1) log n) for k matches, however the intervals nest or coincide. The audit asks this
/// once per BAR; a linear scan per BAR made a host of n functions cost n^2.
struct IntervalIndex {
    /// Ascending.
    private let starts: [UInt64]
    /// The largest end below each tree node; node 1 is the root, leaves start at `leaves`.
    private let maxEnd: [UInt64]
    private let leaves: Int

    /// `intervals` must be sorted by start; element `i` of every answer is `intervals[i]`.
    init(sortedByStart intervals: [ClosedRange<UInt64>]) {
        starts = intervals.map(\.lowerBound)
        var leaves = 1
        while leaves < intervals.count { leaves *= 2 }
        var tree = [UInt64](repeating: 0, count: 2 * leaves)
        for (i, interval) in intervals.enumerated() { tree[leaves + i] = interval.upperBound }
        var node = leaves - 1
        while node >= 1 {
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
            node -= 1
        }
        maxEnd = tree
        self.leaves = leaves
    }

    /// Calls `body` with the position of every interval that shares a byte with `range`, in start order.
    func forEachOverlapping(_ range: ClosedRange<UInt64>, _ body: (Int) -> Void) {
        // Intervals [0, candidates) start at or below the range's end; of those, the ones that
        // end at or above its start overlap it.
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= range.upperBound { low = mid + 1 } else { high = mid }
        }
        let candidates = low
        guard candidates > 0 else { return }
        var stack: [(node: Int, first: Int, width: Int)] = [(1, 0, leaves)]
        while let (node, first, width) = stack.popLast() {
            guard first < candidates, maxEnd[node] >= range.lowerBound else { continue }
            if width == 1 {
                body(first)
                continue
            }
            // Right half first onto the stack, so the left half is visited first.
            stack.append((2 * node + 1, first + width / 2, width / 2))
            stack.append((2 * node, first, width / 2))
        }
    }
}

/// The iomem tree flattened once per audit, so that the per-resource lookups of
/// ``PlacedResource/all(in:)`` and the per-BAR search of ``PlacedResource/platformNodes(near:extent:)``
/// read arrays instead of walking the tree (and its names) each time.
struct IOMemIndex {
    struct Entry {
        var node: ResourceTree.Node
        var key: NodeKey
        var parent: Int?
        var children: [Int]
    }

    /// Depth first, as the tree lists them.
    let entries: [Entry]
    let roots: [Int]
    /// Every address reads 0, or there is no node: the tree is unknown.
    let hidden: Bool
    /// Entries by exact range, in depth-first order.
    private let byRange: [ClosedRange<UInt64>: [Int]]
    /// Entry positions sorted by start, and their interval index.
    private let byStart: [Int]
    private let overlaps: IntervalIndex

    init(_ tree: ResourceTree) {
        var entries: [Entry] = []
        var roots: [Int] = []
        func add(_ node: ResourceTree.Node, parent: Int?) {
            let id = entries.count
            var shallow = node
            shallow.children = []
            entries.append(Entry(node: shallow, key: NodeKey(node), parent: parent, children: []))
            if let parent { entries[parent].children.append(id) } else { roots.append(id) }
            for child in node.children { add(child, parent: id) }
        }
        // iomem nests a few levels deep (the parser bounds it), so this recursion is shallow.
        for root in tree.roots { add(root, parent: nil) }
        self.entries = entries
        self.roots = roots
        hidden = entries.isEmpty || entries.allSatisfy { $0.node.start == 0 && $0.node.end == 0 }
        var byRange: [ClosedRange<UInt64>: [Int]] = [:]
        for (id, entry) in entries.enumerated() { byRange[entry.node.range, default: []].append(id) }
        self.byRange = byRange
        // By start, then by the label a report sorts platform resources by (the name), then depth first.
        byStart = entries.indices.sorted {
            (entries[$0].node.start, entries[$0].node.name, $0) < (entries[$1].node.start, entries[$1].node.name, $1)
        }
        overlaps = IntervalIndex(sortedByStart: byStart.map { entries[$0].node.range })
    }

    /// The ids from a top-level node down to `id`.
    func chain(to id: Int) -> [Int] {
        var out = [id]
        while let parent = entries[out[out.count - 1]].parent { out.append(parent) }
        return out.reversed()
    }

    /// As ``ResourceTree/path(to:named:)``: the shallowest node, first in depth-first order, whose
    /// range is exactly `range` (and whose name is `name`, when given) and whose every ancestor
    /// holds `range`; as ids from the top.
    func path(to range: ClosedRange<UInt64>, named name: String? = nil) -> [Int]? {
        guard let ids = byRange[range] else { return nil }
        // The tree's search returns the first match it reaches, descending only into nodes that
        // hold the range: the first match in depth-first order (ids are that order) whose
        // ancestors all hold it.
        for id in ids where name == nil || entries[id].node.name == name {
            let chain = chain(to: id)
            if chain.dropLast().allSatisfy({ entries[$0].node.contains(range) }) { return chain }
        }
        return nil
    }

    /// As ``ResourceTree/parent(of:named:)``: the node `range` sits in.
    func parent(of range: ClosedRange<UInt64>, named name: String? = nil) -> NodeKey? {
        if let path = path(to: range, named: name) {
            return path.count >= 2 ? entries[path[path.count - 2]].key : nil
        }
        var holder: Int?
        var level = roots
        while let next = level.first(where: { entries[$0].node.contains(range) }) {
            holder = next
            level = entries[next].children
        }
        return holder.map { entries[$0].key }
    }

    /// Calls `body` with every entry that shares a byte with `range`, by start, then name.
    func forEachOverlapping(_ range: ClosedRange<UInt64>, _ body: (Int) -> Void) {
        overlaps.forEachOverlapping(range) { body(byStart[$0]) }
    }
}
