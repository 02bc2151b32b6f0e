/// The kernel's resource tree as `/proc/iomem` (or `/proc/ioports`) shows it: the children of
/// `iomem_resource`, each with its own children.
///
/// vfio-pci's sub-page reservation (`vfio_pci_probe_mmaps`) calls `request_resource(res->parent,
/// dummy)`, which fails when the dummy range is outside the parent or overlaps one of the parent's
/// children (kernel/resource.c). `parent(of:)`, `siblings(of:)` and `conflicts(for:under:)` answer
/// those questions for a captured tree.
public struct ResourceTree: Hashable, Sendable, Codable {
    /// One `struct resource` in the tree.
    public struct Node: Hashable, Sendable, Codable, CustomStringConvertible {
        public var name: String
        public var start: UInt64
        /// Inclusive.
        public var end: UInt64
        /// The 1-based line of `/proc/iomem` it came from, for findings; nil when built by hand.
        public var line: Int?
        public var children: [Node]

        public init(name: String, start: UInt64, end: UInt64, line: Int? = nil, children: [Node] = []) {
            self.name = name
            self.start = start
            self.end = end
            self.line = line
            self.children = children
        }

        public var range: ClosedRange<UInt64> { start...end }

        public func contains(_ range: ClosedRange<UInt64>) -> Bool {
            start <= range.lowerBound && range.upperBound <= end
        }

        /// `resource_overlaps()`: the inclusive ranges share an address.
        public func overlaps(_ range: ClosedRange<UInt64>) -> Bool {
            start <= range.upperBound && range.lowerBound <= end
        }

        public var description: String { "\(hexString(start, width: 8))-\(hexString(end, width: 8)) : \(name)" }
    }

    /// The top-level resources (children of `iomem_resource`, which `/proc/iomem` does not print).
    public var roots: [Node]
    public var warnings: [ParseWarning]

    public init(roots: [Node], warnings: [ParseWarning] = []) {
        self.roots = roots
        self.warnings = warnings
    }

    /// Deepest nesting accepted; the kernel prints far fewer levels (`MAX_IORES_LEVEL`).
    public static let maximumDepth = 64

    /// Parses `/proc/iomem` text. Format from `r_show()` (kernel/resource.c, read in 2.6 and 6.x
    /// copies): `"%*s%0*llx-%0*llx : %s\n"`, indented two spaces per depth, hex without `0x`, at least
    /// 8 digits (4 for `/proc/ioports`); without `CAP_SYS_ADMIN` every start and end prints as 0.
    ///
    /// Errors (with the 1-based line): indentation not a multiple of two spaces, a line nested more
    /// than one level below the previous one, a missing `-` or ` : `, a non-hex digit, a value above
    /// 2^64 - 1, `start > end`. Warnings: a child outside its parent, siblings out of order or
    /// overlapping, and a file whose ranges are all zero (read without `CAP_SYS_ADMIN`, which hides
    /// addresses).
    public init(parsingProcIOMem text: String) throws(ParseError) {
        try self.init(parsingProcIOMem: Array(text.utf8))
    }

    /// Parses the file's bytes as read; an error names a byte that is not UTF-8 as it is in the file.
    public init(parsingProcIOMem bytes: [UInt8]) throws(ParseError) {
        var flat: [(depth: Int, node: Node)] = []
        var previousDepth = -1
        for line in splitLines(bytes: bytes) {
            let entry = try Self.parseLine(line, previousDepth: previousDepth)
            flat.append(entry)
            previousDepth = entry.depth
        }
        var index = 0
        roots = Self.build(flat, from: &index, depth: 0)
        warnings = []
        if !flat.isEmpty, flat.allSatisfy({ $0.node.start == 0 && $0.node.end == 0 }) {
            warnings.append(ParseWarning(.procIOMem, .line(1, column: nil),
                                         "every range is 0: the file was read without CAP_SYS_ADMIN, which hides addresses"))
        } else {
            Self.checkOrder(roots, parent: nil, into: &warnings)
        }
    }

    static func parseLine(_ line: TextLine, previousDepth: Int) throws(ParseError) -> (depth: Int, node: Node) {
        let bytes = line.bytes
        let base = bytes.startIndex
        func fail(_ index: Int?, _ message: String) -> ParseError {
            ParseError(.procIOMem, .line(line.number, column: index.map { $0 - base + 1 }), message)
        }
        let format = "expected \"<start>-<end> : <name>\" in hex, indented two spaces per level"
        guard !bytes.isEmpty else { throw fail(nil, "empty line; \(format)") }
        var i = base
        while i < bytes.endIndex, bytes[i] == UInt8(ascii: " ") { i += 1 }
        let indent = i - base
        guard i < bytes.endIndex else { throw fail(nil, "the line holds only spaces; \(format)") }
        guard bytes[i] != UInt8(ascii: "\t") else { throw fail(i, "a tab in the indentation; the kernel indents with two spaces per level") }
        guard indent % 2 == 0 else {
            throw fail(i, "indentation of \(indent) spaces is not a multiple of 2; the kernel indents two spaces per level")
        }
        let depth = indent / 2
        guard depth <= previousDepth + 1 else {
            throw fail(i, previousDepth < 0
                ? "the first line is indented \(indent) spaces; it must start at depth 0"
                : "nested \(depth - previousDepth) levels below the line above; a child is indented exactly two more spaces than its parent")
        }
        guard depth < maximumDepth else { throw fail(i, "nested deeper than \(maximumDepth) levels") }
        guard let dash = bytes[i...].firstIndex(of: UInt8(ascii: "-")) else {
            throw fail(i, "no '-' between start and end; \(format)")
        }
        let separator = Array(" : ".utf8)
        var sep: Int?
        var j = dash + 1
        while j + separator.count <= bytes.endIndex {
            if bytes[j..<(j + separator.count)].elementsEqual(separator) { sep = j; break }
            j += 1
        }
        guard let sep else { throw fail(dash + 1, "no \" : \" before the name; \(format)") }
        var values: [UInt64] = []
        for (what, field) in [("start", i..<dash), ("end", (dash + 1)..<sep)] {
            switch scanHex(bytes[field]) {
            case .empty: throw fail(field.lowerBound, "the \(what) address is empty; \(format)")
            case let .invalidDigit(at: bad): throw fail(bad, "\(describeByte(bytes[bad])) in the \(what) address is not a hex digit")
            case .overflow: throw fail(field.lowerBound, "the \(what) address \"\(string(bytes[field]))\" is above 0xffffffffffffffff")
            case let .value(v): values.append(v)
            }
        }
        guard values[0] <= values[1] else {
            throw fail(i, "start \(hex(values[0])) is above end \(hex(values[1])); the end is inclusive")
        }
        let name = string(bytes[(sep + separator.count)...])
        return (depth, Node(name: name, start: values[0], end: values[1], line: line.number))
    }

    /// Builds the nested nodes from (depth, node) pairs; depth never jumps by more than one.
    static func build(_ flat: [(depth: Int, node: Node)], from index: inout Int, depth: Int) -> [Node] {
        var nodes: [Node] = []
        while index < flat.count, flat[index].depth == depth {
            var node = flat[index].node
            index += 1
            node.children = build(flat, from: &index, depth: depth + 1)
            nodes.append(node)
        }
        return nodes
    }

    static func checkOrder(_ nodes: [Node], parent: Node?, into warnings: inout [ParseWarning]) {
        func warn(_ node: Node, _ message: String) {
            warnings.append(ParseWarning(.procIOMem, .line(node.line ?? 0, column: nil), message))
        }
        var previous: Node?
        for node in nodes {
            if let parent, !parent.contains(node.range) {
                warn(node, "\(node) lies outside its parent \(parent)")
            }
            if let previous {
                if previous.overlaps(node.range) {
                    warn(node, "\(node) overlaps its sibling \(previous)")
                } else if node.start < previous.start {
                    warn(node, "\(node) comes after \(previous) but starts below it; the kernel keeps siblings sorted")
                }
            }
            checkOrder(node.children, parent: node, into: &warnings)
            previous = node
        }
    }

    // MARK: Lookups

    /// The chain from a top-level node down to the node whose range is exactly `range` (and whose name
    /// is `name`, when given), including that node. When nested nodes share a range (a BAR and the
    /// region its driver requested inside it), the shallowest one is taken. Nil when no node matches.
    public func path(to range: ClosedRange<UInt64>, named name: String? = nil) -> [Node]? {
        func search(_ nodes: [Node]) -> [Node]? {
            for node in nodes where node.contains(range) {
                if node.range == range, name == nil || node.name == name { return [node] }
                if let below = search(node.children) { return [node] + below }
            }
            return nil
        }
        return search(roots)
    }

    /// The nodes that hold `range`, outermost first. For a range that is a node (see `path(to:named:)`),
    /// the chain to its parent; for any other range, the chain to the deepest node containing it.
    /// Empty when the range sits directly under `iomem_resource`.
    public func ancestors(of range: ClosedRange<UInt64>, named name: String? = nil) -> [Node] {
        if let path = path(to: range, named: name) { return Array(path.dropLast()) }
        var chain: [Node] = []
        var level = roots
        while let holder = level.first(where: { $0.contains(range) }) {
            chain.append(holder)
            level = holder.children
        }
        return chain
    }

    /// The resource `range` sits in (the kernel's `res->parent`); nil for `iomem_resource` itself.
    public func parent(of range: ClosedRange<UInt64>, named name: String? = nil) -> Node? {
        ancestors(of: range, named: name).last
    }

    /// The other children of `range`'s parent, in order; the node for `range` itself is left out.
    public func siblings(of range: ClosedRange<UInt64>, named name: String? = nil) -> [Node] {
        let children = parent(of: range, named: name)?.children ?? roots
        guard let own = path(to: range, named: name)?.last else { return children }
        var skipped = false
        return children.filter { node in
            if !skipped && node == own { skipped = true; return false }
            return true
        }
    }

    /// The children of `parent` (top-level nodes when nil) that `request_resource(parent, range)` would
    /// collide with: those sharing an address with `range`.
    public func conflicts(for range: ClosedRange<UInt64>, under parent: Node?) -> [Node] {
        (parent?.children ?? roots).filter { $0.overlaps(range) }
    }

    /// Every node, depth first, with its depth; for reports and tests.
    public var allNodes: [(depth: Int, node: Node)] {
        var out: [(Int, Node)] = []
        func visit(_ nodes: [Node], _ depth: Int) {
            for node in nodes {
                out.append((depth, node))
                visit(node.children, depth + 1)
            }
        }
        visit(roots, 0)
        return out
    }
}
