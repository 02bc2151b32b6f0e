import Audit
import PCIModel
import VFIORules
import Testing

/// vfio-pci's own `vfio sub-page reserved` node (and its region requests) are the device's, as
/// `request_resource` sees them, not a foreign resource that refuses or exposes anything.
@Suite(.timeLimit(.minutes(1)))
struct OwnReservationTests {
    /// A 4 KiB BAR at the start of a 64 KiB page, open under vfio-pci: the kernel's dummy holds the
    /// rest of the page and vfio's region request sits under the BAR.
    static func openSubpageTree(dummy: String = "80001000-8000ffff : vfio sub-page reserved") -> SysfsTree {
        var tree = SysfsTree()
        tree.addFunction("0000:00:01.0", bars: [.mem32(0x8000_0000, size: 0x1000)], driver: "vfio-pci", group: 1)
        tree.addFunction("0000:00:02.0", bars: [.mem32(0x8010_0000, size: 0x10000)], driver: "e1000e", group: 2)
        tree.setIOMem("""
            80000000-8fffffff : PCI Bus 0000:00
              80000000-80000fff : 0000:00:01.0
                80000000-80000fff : vfio-pci
              \(dummy)
              80100000-8010ffff : 0000:00:02.0

            """)
        return tree
    }

    func audit(_ tree: SysfsTree) throws -> AuditReport {
        HostAudit.run(try tree.host(), options: AuditOptions(policy: .mainline, pageSize: .kib64, msiIsolation: .yes))
    }

    @Test func theKernelsOwnDummyIsTheDevicesOwn() throws {
        let report = try audit(Self.openSubpageTree())
        let bar = try #require(report.devices.first { $0.address == "0000:00:01.0" }?.bars.first)
        #expect(bar.verdicts.map(\.mmappable) == [true])
        #expect(bar.verdicts.flatMap(\.refusedBy) == [])
        #expect(bar.foreign == [])
        #expect(!report.violated)
        #expect(report.exitCode == 0)
        #expect(report.notes.contains { $0.contains("vfio sub-page reserved") && $0.contains("0000:00:01.0 BAR 0") })
    }

    /// A node of that name that is not this BAR's reservation (it does not start right after the
    /// BAR) is a resource like any other: the reservation the next open requests would collide.
    @Test func aDummyOfAnotherShapeStaysForeign() throws {
        let report = try audit(Self.openSubpageTree(dummy: "80002000-8000ffff : vfio sub-page reserved"))
        let bar = try #require(report.devices.first { $0.address == "0000:00:01.0" }?.bars.first)
        #expect(bar.verdicts.first?.refusedBy == ["mainline.subpage-reservation"])
        #expect(!report.notes.contains { $0.contains("vfio sub-page reserved") && $0.contains("own") })
    }

    /// Without the node vfio made (a sibling claiming the rest of the page), the BAR is refused, as
    /// the kernel refuses it: the attribution is by shape, not by the name alone.
    @Test func aForeignClaimOnTheRestOfThePageStillRefuses() throws {
        let report = try audit(Self.openSubpageTree(dummy: "80001000-8000ffff : platform-thing"))
        let bar = try #require(report.devices.first { $0.address == "0000:00:01.0" }?.bars.first)
        #expect(bar.verdicts.first?.refusedBy == ["mainline.subpage-reservation"])
    }
}
