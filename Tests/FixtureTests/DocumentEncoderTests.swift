import Audit
import Foundation
import PCIModel
import Prover
@testable import Reports
import Testing
import VFIORules

/// `JSONOutput.encode` writes with its own encoder; every kind of document barproof writes must
/// come out byte for byte as Foundation's `JSONEncoder` (with barproof's settings) writes it.
@Suite(.timeLimit(.minutes(1)))
struct DocumentEncoderTests {
    func expectSame<T: Encodable>(_ value: T, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try DocumentEncoder.encode(value) + [0x0A]
        let foundation = try JSONOutput.foundationEncode(value)
        #expect(Data(ours) == foundation, "\(what): the encodings differ", sourceLocation: sourceLocation)
        #expect(try JSONOutput.encode(value) == foundation, "\(what)", sourceLocation: sourceLocation)
    }

    @Test func auditReportsAndFleets() throws {
        var reports: [AuditReport] = []
        for (functions, page, msi) in [(40, PageSize.kib4, MSIIsolation.unknown), (40, .kib64, .no), (0, .kib4, .yes)] {
            var report = HostAudit.run(HostInventory.synthetic(functions: functions),
                                       options: AuditOptions(policy: .mainline, pageSize: page, msiIsolation: msi, allowUnsafeInterrupts: true))
            report.host = "host \(functions) \"quoted\"\n"
            report.facts = [ReportedFact(name: "kernel_release", value: "6.6.9", source: "proc/sys/kernel/osrelease")]
            reports.append(report)
            try expectSame(report, "audit of \(functions) functions")
        }
        let overlapping = HostAudit.run(HostInventory.synthetic(functions: 30, sharingOneRange: true),
                                        options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no,
                                                              allowUnsafeInterrupts: true))
        #expect(overlapping.violated && overlapping.groups.contains { $0.verdict == .unsafe && !$0.remedies.isEmpty })
        try expectSame(overlapping, "audit of overlapping functions")
        let fleet = FleetAudit(reports + [overlapping], barproofVersion: "0.1.0")
        try expectSame(fleet, "fleet")
        // Host documents written one by one (as each worker does) and placed whole: the same bytes.
        var placed = fleet
        placed.hostDocuments = try fleet.hosts.map { EncodedDocument(try JSONOutput.encode($0)) }
        #expect(try JSONOutput.encode(placed) == JSONOutput.foundationEncode(fleet), "placed host documents differ")
    }

    @Test func counterexamplesTopologiesAndSnapshots() throws {
        for cx in [Counterexamples.subpageWithoutReservation, Counterexamples.prefetchable64BehindBridge,
                   Counterexamples.msixUnfiltered, Counterexamples.fixedUnalignedHuge, Counterexamples.msixBARFillsBridgeWindow] {
            try expectSame(cx, "counterexample \(cx.target)")
        }
        let snapshot = SnapshotDocument(pageSize: 65536, iomem: "e0000000-efffffff : PCI Bus 0000:00\n",
                                        devices: ["0000:00:01.0": .init(resource: "0x0 0x0 0x0\n", config: "8680", iommuGroup: "../7")],
                                        files: ["proc/cmdline": "pci=realloc\n", "proc/sys/kernel/osrelease": "6.6.9\n"],
                                        directories: ["sys/kernel/iommu_groups": ["7"], "sys/kernel/iommu_groups/7/devices": []],
                                        barproofVersion: "0.1.0")
        try expectSame(snapshot, "snapshot")
    }

    /// What the documents are made of, at the edges: escapes, empty containers, nulls, key order,
    /// the extreme integers, nesting.
    @Test func edgeCases() throws {
        struct Edge: Encodable {
            var text = "a/b \"q\" \\ \n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f} é \u{2028} 🙂"
            var empty: [Int] = []
            var emptyObject: [String: Int] = [:]
            var keys = ["b": 1, "B": 2, "a_b": 3, "ab": 4, "é": 5, "a": 6, "a\u{0}": 7, "": 8]
            var absent: Int? = nil
            var present: Int? = 3
            var extremes: [Int64] = [.min, -1, 0, .max]
            var unsigned: UInt64 = .max
            var small: [Int8] = [-128, 127]
            var nested: [[String: [Bool]]] = [["x": [true, false]], [:], ["y": []]]
            var words: [HexWord] = [0, 0xffff_ffff_ffff_ffff]
            var optionalWords: [HexWord?] = [nil, 16]
        }
        /// A key written twice (the last value stands), nested containers, a value that writes nothing.
        struct Hand: Encodable {
            enum Keys: String, CodingKey { case a, b, c, d }
            struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(1, forKey: .a)
                try c.encode("again", forKey: .a)
                var nested = c.nestedContainer(keyedBy: Keys.self, forKey: .b)
                try nested.encodeNil(forKey: .d)
                var list = c.nestedUnkeyedContainer(forKey: .c)
                try list.encode(true)
                var inner = list.nestedUnkeyedContainer()
                try inner.encode(UInt8(7))
                try c.encode(Nothing(), forKey: .d)
            }
        }
        try expectSame(Hand(), "hand-written containers")
        try expectSame(Edge(), "edge cases")
        try expectSame([Edge(), Edge()], "a top-level array")
        try expectSame("a top-level string", "a string")
        try expectSame([String: [String]](), "an empty object")
    }

    /// The encoder's shortcuts: scalars and string arrays written without an encoder of their own,
    /// and the sorted order of an object reused for the next object of its key type only when that
    /// one writes the same keys in the same order.
    @Test func shortcutsAndReusedKeyOrders() throws {
        struct Varying: Encodable {
            enum Keys: String, CodingKey { case zeta, alpha, mid, extra }
            var variant: Int
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                switch variant % 4 {
                case 0: try c.encode(1, forKey: .zeta); try c.encode(2, forKey: .alpha)
                case 1: try c.encode(2, forKey: .alpha); try c.encode(1, forKey: .zeta)
                case 2: try c.encode(3, forKey: .mid); try c.encode(1, forKey: .zeta); try c.encode(4, forKey: .extra)
                default: try c.encodeIfPresent(Int?.none, forKey: .alpha); try c.encode(5, forKey: .zeta); try c.encode(6, forKey: .zeta)
                }
            }
        }
        struct Scalars: Encodable {
            @Hex var address: UInt64
            var word: HexWord
            var names: [String]
            var none: [String] = []
            var text: String?
            var count: Int?
            var flag: Bool?
        }
        try expectSame((0..<9).map { Varying(variant: $0) }, "objects of one key type with varying keys")
        try expectSame([Scalars(address: 0xfe00_0000, word: 0, names: ["a", "b \"c\"\n"], text: "x", count: -3, flag: false),
                        Scalars(address: .max, word: 0x10, names: [], none: ["é"], text: nil, count: nil, flag: nil)],
                       "scalars written directly")
    }

    /// A floating-point number is written by Foundation (whose spelling of doubles this encoder
    /// does not reproduce): the prove report's `seconds`.
    @Test func floatingPointFallsBackToFoundation() throws {
        struct Timed: Encodable { var seconds = 0.123456789; var name = "x" }
        #expect(throws: DocumentEncoder.Unsupported.self) { try DocumentEncoder.encode(Timed()) }
        #expect(try JSONOutput.encode(Timed()) == JSONOutput.foundationEncode(Timed()))
    }
}
