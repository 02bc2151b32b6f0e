/// Values for every variable of a ``Situation``, by name: a concrete machine. Counterexamples and
/// vacuity witnesses are assignments; ``Situation/concrete(_:neighbours:pageShift:)`` rebuilds the
/// situation from one so the ``Concrete`` rules can re-check it.
public struct Assignment: Hashable, Sendable, Codable {
    public var words: [String: UInt64]
    public var truths: [String: Bool]

    public init(words: [String: UInt64] = [:], truths: [String: Bool] = [:]) {
        self.words = words
        self.truths = truths
    }

    public func word(_ name: String) -> UInt64 { words[name] ?? 0 }
    public func truth(_ name: String) -> Bool { truths[name] ?? false }

    /// Sets every host fact (``HostFact``): as `values` gives it, the others to the value that
    /// grants the most.
    public mutating func setHostFacts(_ values: [HostFact: Bool]) {
        for fact in HostFact.allCases { truths[fact.variable] = values[fact] ?? fact.permissive }
    }
}

/// The names of a situation's variables. One layout serves the solver (named constants) and the
/// concrete side (assignment lookups), so the two can never disagree about what a name means.
public enum SituationLayout {
    /// The platform terms by name (`platform.*`); with a fixed page shift the page size is a literal.
    public static func platform<L: Logic>(_ l: L, pageShift: Int?, word: (String) -> L.Word,
                                          truth: (String) -> L.Truth) -> PlatformTerms<L> {
        let pageSize = pageShift.map { l.word(1 << UInt64($0)) } ?? word(Name.pageSize)
        return PlatformTerms<L>(
            pageSize: pageSize, pageShift: pageShift, msiIsolated: truth(Name.msiIsolated),
            allowUnsafeInterrupts: truth(Name.allowUnsafeInterrupts), type1: truth(Name.type1),
            iommufd: truth(Name.iommufd), spapr: truth(Name.spapr),
            noiommu: truth(Name.noiommu), unalignedFixedAllowed: truth(Name.unalignedFixed),
            hostFacts: Dictionary(uniqueKeysWithValues: HostFact.allCases.map { ($0, truth($0.variable)) }))
    }

    /// The mapped device's MSI-X capability terms by name (`msix.*`).
    public static func msix<L: Logic>(_ l: L, word: (String) -> L.Word, truth: (String) -> L.Truth) -> MSIXTerms<L> {
        MSIXTerms<L>(
            present: truth(Name.msixPresent), tableBIR: word(Name.tableBIR), tableOffset: word(Name.tableOffset),
            tableSize: word(Name.tableSize), pbaBIR: word(Name.pbaBIR), pbaOffset: word(Name.pbaOffset),
            pbaSize: word(Name.pbaSize))
    }

    /// The names of one BAR's variables: the mapped BAR's (`bar.*`) or a neighbour's
    /// (`other<i>.*`, with the two neighbour truths).
    public struct ResourceNames: Sendable {
        public let index, memory, fixed, claimed, start, size, sameDevice, inParent: String

        init(prefix: String) {
            index = prefix + ".index"
            memory = prefix + ".memory"
            fixed = prefix + ".fixed"
            claimed = prefix + ".claimed"
            start = prefix + ".start"
            size = prefix + ".size"
            sameDevice = prefix + ".same-device"
            inParent = prefix + ".in-parent"
        }
    }

    public static let barNames = ResourceNames(prefix: "bar")
    /// The first neighbours' names, made once: the audit builds a situation per BAR, each naming
    /// every neighbour's variables twice (assigning and reading).
    private static let firstNeighbourNames = (0..<64).map { ResourceNames(prefix: "other\($0)") }

    public static func neighbourNames(_ i: Int) -> ResourceNames {
        i < firstNeighbourNames.count ? firstNeighbourNames[i] : ResourceNames(prefix: "other\(i)")
    }

    /// Builds a situation whose every field comes from `word`/`truth` by name. With a fixed page
    /// shift the page size is a literal, not a variable.
    public static func make<L: Logic>(_ l: L, neighbours: Int, pageShift: Int?,
                                      word: (String) -> L.Word, truth: (String) -> L.Truth) -> Situation<L> {
        func bar(_ names: ResourceNames) -> BARTerms<L> {
            BARTerms(index: word(names.index), isMemory: truth(names.memory), fixed: truth(names.fixed),
                     claimed: truth(names.claimed), resource: ResourceTerms(start: word(names.start), size: word(names.size)))
        }
        let platform = self.platform(l, pageShift: pageShift, word: word, truth: truth)
        let msix = self.msix(l, word: word, truth: truth)
        let others = (0..<neighbours).map { i in
            let names = neighbourNames(i)
            return NeighbourTerms(bar: bar(names), sameDevice: truth(names.sameDevice), inParent: truth(names.inParent))
        }
        return Situation(platform: platform, bar: bar(barNames),
                         parent: ResourceTerms(start: word(Name.parentStart), size: word(Name.parentSize)),
                         request: RequestTerms(offset: word(Name.mmapOffset), length: word(Name.mmapLength)),
                         msix: msix, neighbours: others)
    }
}

extension SituationLayout {
    /// Every variable name outside a BAR's (those are ``ResourceNames``): one constant each, so
    /// that code naming a variable cannot misspell it (`Assignment.word` reads 0 for a name it
    /// does not hold). The names themselves are what recorded proofs and exported queries hold.
    public enum Name {
        public static let pageSize = "platform.page-size"
        public static let msiIsolated = "platform.msi-isolated"
        public static let allowUnsafeInterrupts = "platform.allow-unsafe-interrupts"
        public static let type1 = "platform.backend-type1"
        public static let iommufd = "platform.backend-iommufd"
        public static let spapr = "platform.backend-spapr"
        public static let noiommu = "platform.backend-noiommu"
        public static let unalignedFixed = "platform.unaligned-fixed"
        public static let msixPresent = "msix.present"
        public static let tableBIR = "msix.table-bir"
        public static let tableOffset = "msix.table-offset"
        public static let tableSize = "msix.table-size"
        public static let pbaBIR = "msix.pba-bir"
        public static let pbaOffset = "msix.pba-offset"
        public static let pbaSize = "msix.pba-size"
        public static let parentStart = "parent.start"
        public static let parentSize = "parent.size"
        public static let mmapOffset = "mmap.offset"
        public static let mmapLength = "mmap.length"
    }
}

extension SituationLayout {
    /// Every variable a situation with `neighbours` neighbours reads: its words and its truths, by name.
    public static func variables(neighbours: Int, pageShift: Int?) -> (words: Set<String>, truths: Set<String>) {
        var words: Set<String> = [], truths: Set<String> = []
        _ = make(Concrete(), neighbours: neighbours, pageShift: pageShift,
                 word: { words.insert($0); return 0 }, truth: { truths.insert($0); return false })
        return (words, truths)
    }
}

/// An assignment names a variable no situation of its shape has: a misspelt name would otherwise
/// be ignored, and the variable it meant read as 0 or false.
public struct UnknownVariable: Error, Equatable, Sendable, CustomStringConvertible {
    public var names: [String]
    public init(names: [String]) { self.names = names }
    public var description: String { "no situation variable is named \(names.map { "'\($0)'" }.joined(separator: ", "))" }
}

extension Situation where L == Concrete {
    /// The concrete situation an assignment describes.
    public static func concrete(_ a: Assignment, neighbours: Int, pageShift: Int?) -> Situation<Concrete> {
        SituationLayout.make(Concrete(), neighbours: neighbours, pageShift: pageShift, word: a.word, truth: a.truth)
    }

    /// ``concrete(_:neighbours:pageShift:)`` for an assignment built by hand (the audit's, a
    /// test's): every name it sets must be one the layout reads.
    public static func checked(_ a: Assignment, neighbours: Int, pageShift: Int?) throws(UnknownVariable) -> Situation<Concrete> {
        let known = SituationLayout.variables(neighbours: neighbours, pageShift: pageShift)
        let unknown = a.words.keys.filter { !known.words.contains($0) } + a.truths.keys.filter { !known.truths.contains($0) }
        guard unknown.isEmpty else { throw UnknownVariable(names: unknown.sorted()) }
        return concrete(a, neighbours: neighbours, pageShift: pageShift)
    }
}
