import Audit
import Foundation
import PCIModel
import TestSupport
import Testing
import VFIORules

/// ``HostFacts``: each fact read with the file it came from; missing, unreadable and malformed
/// fact files; snapshot version 2 carrying them.
@Suite(.timeLimit(.minutes(2)))
struct HostFactsTests {
    static let group = "sys/kernel/iommu_groups/7"
    static let type1Parameter = "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
    /// An ecap with bit 3 (interrupt remapping) set, and one without.
    static let ecapWithIR = "f020de"
    static let ecapWithoutIR = "f020d6"

    /// A host with every fact file: module parameter Y, IOMMU group 7 holding 0000:00:06.0, an
    /// Intel IOMMU with and one without IR, `IR-PCI-MSI` chips, a PCI/vfio command line.
    static func factTree(interrupts: String? = nil) -> SysfsTree {
        var tree = HostAuditTests.msixTree()
        tree.setFile("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n")
        tree.addLink("\(group)/devices/0000:00:06.0", to: "../../../../devices/pci0000:00/0000:00:06.0")
        tree.setFile("\(group)/type", "DMA-FQ\n")
        tree.setFile("\(group)/reserved_regions", "0x00000000fee00000 0x00000000feefffff msi\n"
                     + "0x00000000000a0000 0x00000000000bffff direct-relaxable\n")
        tree.addDirectory("sys/kernel/iommu_groups/8/devices")
        tree.setFile(type1Parameter, "Y\n")
        tree.setFile("sys/class/iommu/dmar0/intel-iommu/ecap", "\(ecapWithIR)\n")
        tree.setFile("sys/class/iommu/dmar1/intel-iommu/ecap", "\(ecapWithoutIR)\n")
        tree.setFile("proc/interrupts", interrupts ?? """
                       CPU0       CPU1
              0:         44          0   IO-APIC   2-edge      timer
             24:          0       1234   IR-PCI-MSI 512000-edge      ahci[0000:00:1f.2]
             25:         17          0   IR-PCI-MSIX-0000:00:03.0    0-edge      virtio0-config
            NMI:          0          0   Non-maskable interrupts

            """)
        tree.setFile("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 "
                     + "pci=realloc,resource_alignment=16@0000:00:06.0 quiet\n")
        tree.setFile("sys/bus/pci/resource_alignment", "16@0000:00:06.0\n")
        return tree
    }

    @Test func everyFactIsReadWithItsSource() throws {
        let facts = try HostFacts.read(from: Self.factTree())
        #expect(facts.kernelRelease == Sourced("6.1.0-18-amd64", source: "proc/sys/kernel/osrelease"))
        #expect(facts.kernelVersion == KernelVersion("6.1"))
        #expect(facts.kernelPreset().value == KernelRelease.covering(KernelVersion("6.1")!))
        #expect(facts.kernelPreset().value != nil)
        #expect(facts.kernelPreset().sources == ["proc/sys/kernel/osrelease"])

        #expect(facts.iommuGroupsDirectoryExists == Sourced(true, source: "sys/kernel/iommu_groups"))
        #expect(facts.iommuGroups.map(\.name) == ["7", "8"])
        let seven = try #require(facts.iommuGroups.first)
        #expect(seven.devices == Sourced(["0000:00:06.0"], source: "\(Self.group)/devices"))
        #expect(seven.pciDevices == [try PCIAddress(parsing: "0000:00:06.0")])
        #expect(seven.type == Sourced(.dmaFQ, source: "\(Self.group)/type"))
        #expect(seven.reservedRegions == Sourced([
            .init(start: 0xfee0_0000, end: 0xfeef_ffff, type: "msi"), .init(start: 0xa0000, end: 0xbffff, type: "direct-relaxable"),
        ], source: "\(Self.group)/reserved_regions"))
        #expect(facts.iommuGroups[1].devices?.value == [])
        #expect(facts.iommuGroupsPresent().value == true)

        #expect(facts.moduleParameters == [.type1AllowUnsafeInterrupts: Sourced(true, source: Self.type1Parameter)])
        #expect(facts.intelIOMMUs.map(\.name) == ["dmar0", "dmar1"])
        #expect(facts.intelIOMMUs.map(\.interruptRemappingCapable) == [true, false])
        #expect(facts.intelIOMMUs[0].ecap?.source == "sys/class/iommu/dmar0/intel-iommu/ecap")
        #expect(facts.interrupts == HostFacts.InterruptChips(source: "proc/interrupts",
                                                             remapped: ["IR-PCI-MSI", "IR-PCI-MSIX-0000:00:03.0"]))

        let line = try #require(facts.commandLine)
        #expect(line.source == "proc/cmdline")
        #expect(line.words == ["intel_iommu=on", "vfio_iommu_type1.allow_unsafe_interrupts=1",
                               "pci=realloc,resource_alignment=16@0000:00:06.0"])
        #expect(line.pciOptions == ["realloc", "resource_alignment=16@0000:00:06.0"])
        #expect(line.pciRealloc == true)
        #expect(line.resourceAlignment == "16@0000:00:06.0")
        #expect(line.bool(.type1AllowUnsafeInterrupts) == true)
        #expect(facts.resourceAlignment == Sourced("16@0000:00:06.0", source: "sys/bus/pci/resource_alignment"))
        #expect(facts.parsedResourceAlignment?.entries.count == 1)
        #expect(facts.unreadable == [])

        let isolation = facts.msiIsolation()
        #expect(isolation.value == .yes)
        #expect(isolation.sources == ["proc/interrupts"])
        #expect(facts.allowUnsafeInterrupts() == Derived(true, reason: "\(Self.type1Parameter) reads Y", sources: [Self.type1Parameter]))
        #expect(facts.backend().value == .type1)
        // HostInventory carries the same facts.
        #expect(try Self.factTree().host().facts == facts)
    }

    @Test func capabilityIsNotEnablement() throws {
        // The IR bit with MSIs through plain PCI-MSI chips: not remapped.
        let plain = """
                       CPU0
             24:          9   PCI-MSI 512000-edge      ahci
            """
        var tree = Self.factTree(interrupts: plain)
        #expect(try HostFacts.read(from: tree).msiIsolation().value == .no)
        // No MSI chip at all, an IR-capable unit, nothing on the command line: unknown.
        tree.setFile("proc/interrupts", "           CPU0\n  0:         44   IO-APIC   2-edge      timer\n")
        #expect(try HostFacts.read(from: tree).msiIsolation().value == .unknown)
        // ... unless the command line turns remapping off.
        tree.setFile("proc/cmdline", "intremap=off\n")
        let off = try HostFacts.read(from: tree).msiIsolation()
        #expect(off.value == .no)
        #expect(off.sources == ["proc/cmdline"])
        tree.setFile("proc/cmdline", "intremap=off intremap=on\n")
        #expect(try HostFacts.read(from: tree).msiIsolation().value == .unknown)
        // Only units without the capability: no.
        tree.files["sys/class/iommu/dmar0/intel-iommu/ecap"] = Array("\(Self.ecapWithoutIR)\n".utf8)
        #expect(try HostFacts.read(from: tree).msiIsolation().value == .no)
    }

    /// `amd_iommu=`: an item that starts with `off` disables the AMD IOMMU and its remapping
    /// (`parse_amd_iommu_options()`, 6.1+); other items do not.
    @Test func amdIOMMUOffIsAnItemStartingWithOff() {
        let line = HostFacts.CommandLine(source: "proc/cmdline", words: [
            "amd_iommu=off", "amd_iommu=fullflush,off", "amd_iommu=offx", "amd_iommu=force_enable", "amd_iommu=pgtbl_v2",
        ])
        #expect(line.interruptRemappingOff == ["amd_iommu=off", "amd_iommu=fullflush,off", "amd_iommu=offx"])
    }

    /// 4.19-5.0's `iommu_group_show_type()` prints `DMA` without a newline.
    @Test func groupTypeWithoutNewline() throws {
        var tree = Self.factTree()
        tree.setFile("\(Self.group)/type", "DMA")
        #expect(try HostFacts.read(from: tree).iommuGroups.first?.type == Sourced(.dma, source: "\(Self.group)/type"))
    }

    /// `sys/bus/pci/resource_alignment` as each release shows it: 5.15+ add a newline; 4.4-5.3 show
    /// the bytes stored (none after a command-line value); 5.4-5.12 replace the last byte with a
    /// newline and add a NUL, the command line telling whether that byte was a character of its
    /// `pci=resource_alignment=` value or the newline of an `echo`.
    @Test(arguments: [
        ("16@0000:00:06.0\n", "16@0000:00:06.0", "16@0000:00:06.0"),
        ("16@0000:00:06.0", "16@0000:00:06.0", "16@0000:00:06.0"),
        ("16@0000:00:06.\n\0", "16@0000:00:06.0", "16@0000:00:06.0"),
        ("16@0000:00:07.0\n\0", "16@0000:00:06.0", "16@0000:00:07.0"),
        ("pci:8086:10f\n\0", "pci:8086:10fb", "pci:8086:10fb"),
        ("\n", "16@0000:00:06.0", ""),
    ])
    func resourceAlignmentAsEachReleaseShowsIt(shown: String, onCommandLine: String, value: String) throws {
        var tree = Self.factTree()
        tree.setFile("proc/cmdline", "pci=resource_alignment=\(onCommandLine)\n")
        tree.setFile("sys/bus/pci/resource_alignment", shown)
        let facts = try HostFacts.read(from: tree)
        #expect(facts.resourceAlignment == Sourced(value, source: "sys/bus/pci/resource_alignment"))
        let parsed = try ResourceAlignmentParameter(parsing: value)
        #expect(facts.parsedResourceAlignment == parsed)
    }

    @Test func commandLineParameterWhenTheModuleIsNotLoaded() throws {
        var tree = Self.factTree()
        tree.files[Self.type1Parameter] = nil
        let facts = try HostFacts.read(from: tree)
        let allow = facts.allowUnsafeInterrupts()
        #expect(allow.value == true)
        #expect(allow.sources == ["proc/cmdline"])
        tree.files["proc/cmdline"] = nil
        #expect(try HostFacts.read(from: tree).allowUnsafeInterrupts().value == nil)
    }

    @Test func hostWithoutIOMMUGroups() throws {
        var tree = HostAuditTests.msixTree()
        tree.setFile("proc/sys/kernel/osrelease", "4.19.304\n")
        tree.addDirectory("sys/kernel/iommu_groups")
        var facts = try HostFacts.read(from: tree)
        #expect(facts.iommuGroupsPresent().value == false)
        #expect(facts.iommuGroupsPresent().reason.contains("no-IOMMU mode"))
        #expect(facts.backend().value == nil)
        tree.setFile("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n")
        facts = try HostFacts.read(from: tree)
        #expect(facts.backend().value == .noiommu)
        #expect(facts.backend().sources == ["sys/kernel/iommu_groups", "sys/module/vfio/parameters/enable_unsafe_noiommu_mode"])
        // A tree without sys/kernel at all (a fixture): unknown, not absent.
        #expect(try HostFacts.read(from: HostAuditTests.msixTree()).iommuGroupsPresent().value == nil)
        #expect(try HostFacts.read(from: HostAuditTests.msixTree()) == HostFacts())
    }

    @Test func kernelWithoutPreset() throws {
        var tree = HostAuditTests.msixTree()
        tree.setFile("proc/sys/kernel/osrelease", "6.16.3-arch1-1\n")
        let preset = try HostFacts.read(from: tree).kernelPreset()
        #expect(preset.value == nil)
        #expect(preset.reason.contains("no preset covers kernel 6.16"), "\(preset.reason)")
    }

    @Test(arguments: [
        ("sys/kernel/iommu_groups/7/type", "DMA identity\n", "sys/kernel/iommu_groups/7/type: line 1"),
        ("sys/kernel/iommu_groups/7/reserved_regions", "0x1000 0x0fff msi\n", "reserved_regions: line 1"),
        ("sys/kernel/iommu_groups/7/reserved_regions", "0x00000000fee00000 0x00000000feefffff msi\nbogus\n", "reserved_regions: line 2"),
        ("sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "1\n", "allow_unsafe_interrupts: line 1"),
        ("sys/class/iommu/dmar0/intel-iommu/ecap", "zz\n", "dmar0/intel-iommu/ecap: line 1"),
        ("proc/interrupts", "garbage\n", "proc/interrupts: line 1"),
        ("proc/interrupts", "  CPU0 CPU1\n 24: 1 x IR-PCI-MSI\n", "proc/interrupts: line 2"),
        ("proc/sys/kernel/osrelease", "\n", "proc/sys/kernel/osrelease: line 1"),
    ])
    func malformedFactFileIsBadInputNamingIt(path: String, text: String, expected: String) throws {
        var tree = Self.factTree()
        tree.setFile(path, text)
        do {
            _ = try HostFacts.read(from: tree)
            Issue.record("\(path) read without error")
        } catch {
            #expect(error.file == path)
            #expect(error.description.contains(expected), "\(error.description)")
        }
        // And through the inventory, so that `barproof audit` exits 65.
        #expect(throws: AuditInputError.self) { try tree.host() }
    }

    @Test func unreadableFactFileIsUnknownAndListed() throws {
        var tree = Self.factTree()
        tree.unreadable = [Self.type1Parameter, "proc/interrupts"]
        let facts = try HostFacts.read(from: tree)
        #expect(facts.moduleParameters[.type1AllowUnsafeInterrupts] == nil)
        #expect(facts.interrupts == nil)
        #expect(facts.unreadable == ["proc/interrupts", Self.type1Parameter])
        // The command line still says 1; the isolation falls back to what else is known.
        #expect(facts.allowUnsafeInterrupts().sources == ["proc/cmdline"])
        #expect(facts.msiIsolation().value == .unknown)
    }

    @Test func snapshotVersion2CarriesTheFacts() throws {
        let tree = Self.factTree()
        let commandLine = String(decoding: try #require(tree.files["proc/cmdline"]), as: UTF8.self)
        let snapshot = try Snapshot.capture(from: tree, pageSize: 4096, commandLine: commandLine)
        #expect(snapshot.schema == "barproof-snapshot")
        #expect(snapshot.schemaVersion == 2)
        #expect(snapshot.files["proc/cmdline"] == "intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1 "
                + "pci=realloc,resource_alignment=16@0000:00:06.0\n")
        #expect(snapshot.directories["\(Self.group)/devices"] == ["0000:00:06.0"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(snapshot)
        let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["page_size"] as? String == "0x1000")
        #expect(json["schema_version"] as? Int == 2)
        #expect(json["pageSize"] == nil)
        let decoded = try JSONDecoder().decode(Snapshot.self, from: data)
        #expect(decoded == snapshot)
        #expect(try HostFacts.read(from: decoded) == HostFacts.read(from: tree))
        #expect(try HostInventory.load(from: decoded).facts == tree.host().facts)
    }

    @Test func unreadableFactFileStaysUnreadableInTheSnapshot() throws {
        var tree = Self.factTree()
        tree.unreadable = [Self.type1Parameter]
        let commandLine = String(decoding: try #require(tree.files["proc/cmdline"]), as: UTF8.self)
        let snapshot = try Snapshot.capture(from: tree, pageSize: 4096, commandLine: commandLine)
        #expect(snapshot.unreadable == [Self.type1Parameter])
        #expect(try HostFacts.read(from: snapshot) == HostFacts.read(from: tree))
    }

    @Test func version1StillReads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dev-vm-snapshot.json")
        let data = try Data(contentsOf: url)
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: data)
        #expect(snapshot.schema == Snapshot.version1SchemaName)
        #expect(snapshot.schemaVersion == 1)
        #expect(!snapshot.devices.isEmpty)
        // Its kernelParameters read as proc/cmdline; re-encoded, it stays version 1.
        let facts = try HostFacts.read(from: snapshot)
        #expect(facts.commandLine?.words ?? [] == snapshot.kernelParameters)
        let again = try JSONDecoder().decode(Snapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(again == snapshot)
    }

    /// `barproof snapshot --root` on a tree with fact files, then `barproof audit` of the file.
    @Test func snapshotCommandWritesVersion2ThenAudits() throws {
        let root = try Self.factTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("snapshot.json").path
        let snap = try AuditCommandTests.run(["snapshot", "--root", root.path, "--output", file])
        #expect(snap.status == 0, "\(snap.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "barproof-snapshot")
        #expect(json["barproof_version"] is String)
        let files = try #require(json["files"] as? [String: String])
        #expect(files["proc/sys/kernel/osrelease"] == "6.1.0-18-amd64\n")
        #expect(files[Self.type1Parameter] == "Y\n")
        #expect(files["proc/cmdline"]?.contains("root=") == false)
        let decoded = try JSONDecoder().decode(Snapshot.self, from: data)
        #expect(try HostFacts.read(from: decoded) == HostFacts.read(from: DirectoryFiles(root: root.path)))

        let audit = try AuditCommandTests.run(["audit", file, "--page-size", "4096", "--msi-isolated", "no", "--allow-unsafe-interrupts"])
        #expect(audit.status == 1, "\(audit.stderr)")
        #expect(audit.stdout.contains("VIOLATES msix-needs-filtering"), "\(audit.stdout)")

        // The schema validator, when this checkout has it.
        let validator = BarproofRepository.url.appendingPathComponent("schemas/validate.py")
        let schema = BarproofRepository.url.appendingPathComponent("schemas/barproof-snapshot.schema.json")
        if FileManager.default.fileExists(atPath: validator.path) {
            let run = try ProgramRun.run(program: URL(fileURLWithPath: "/usr/bin/env"),
                                         arguments: ["python3", validator.path, schema.path, file], timeout: .seconds(60))
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
    }
}

/// `barproof audit FILE` on a topology document embedding a snapshot: the old one
/// (`barproof-topology/1` with a version 1 snapshot) and the new (`barproof-topology`, version 2).
@Suite(.timeLimit(.minutes(2)))
struct EmbeddedSnapshotTests {
    @Test func topologyDocumentsOfEitherVersionAudit() throws {
        let v1URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dev-vm-snapshot.json")
        let v1 = try JSONSerialization.jsonObject(with: Data(contentsOf: v1URL))
        let v2 = try JSONSerialization.jsonObject(with: JSONEncoder().encode(
            Snapshot.capture(from: HostFactsTests.factTree(), pageSize: 4096, commandLine: "intel_iommu=on")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-embedded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let documents: [(String, [String: Any])] = [
            ("old.json", ["schema": "barproof-topology/1", "snapshot": v1]),
            ("new.json", ["schema": "barproof-topology", "schema_version": 2, "snapshot": v2]),
        ]
        for (name, document) in documents {
            let file = directory.appendingPathComponent(name)
            try JSONSerialization.data(withJSONObject: document).write(to: file)
            let run = try AuditCommandTests.run(["audit", file.path, "--msi-isolated", "yes", "--allow-incomplete"])
            #expect([0, 1].contains(run.status), "\(name): \(run.stderr)")
            #expect(run.stderr == "", "\(name): \(run.stderr)")
        }
        // Another schema is bad input naming the file and the schema's place.
        let other = directory.appendingPathComponent("other.json")
        try Data("{\"schema\": \"barproof-snapshot\", \"schema_version\": 3}".utf8).write(to: other)
        let run = try AuditCommandTests.run(["audit", other.path])
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("\(other.path):1:"), "\(run.stderr)")
        #expect(run.stderr.contains("schema barproof-snapshot version 3; this barproof reads barproof-snapshot version 2"), "\(run.stderr)")
    }
}

enum BarproofRepository {
    /// The repository root, from this file's path (Tests/AuditTests/HostFactsTests.swift).
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}
