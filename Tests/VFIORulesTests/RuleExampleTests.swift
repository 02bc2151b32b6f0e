import Testing
import VFIORules

/// One machine each rule grants and one it refuses, for the rules no other test names: each pair
/// differs in the one fact the rule's kernel test reads, so a rule that ignored it would fail here.
/// Situations are built by name through `Situation.checked`, which throws on a misspelt name.
@Suite(.timeLimit(.minutes(1)))
struct RuleExampleTests {
    /// A claimed 64 KiB memory BAR 0 at 0xfe000000 under a 16 MiB window, mmapped whole with 4 KiB
    /// pages, type1, nothing else on the machine.
    func situation(_ change: (inout Assignment) -> Void = { _ in }) throws -> Situation<Concrete> {
        var a = Assignment()
        a.words["bar.start"] = 0xfe00_0000
        a.words["bar.size"] = 0x1_0000
        a.words["bar.index"] = 0
        a.truths["bar.memory"] = true
        a.truths["bar.claimed"] = true
        a.words["parent.start"] = 0xfe00_0000
        a.words["parent.size"] = 0x100_0000
        a.words["mmap.offset"] = 0
        a.words["mmap.length"] = 0x1_0000
        a.truths["platform.backend-type1"] = true
        change(&a)
        return try Situation.checked(a, neighbours: 0, pageShift: 12)
    }

    func holds(_ rule: Rule, _ s: Situation<Concrete>) -> Bool { rule.holds(s, Concrete()) }

    /// `vfio_pci_core_mmap`: `index >= VFIO_PCI_ROM_REGION_INDEX` is refused: BAR 5 maps, the ROM
    /// (region 6) does not.
    @Test func barRegionOnly() throws {
        #expect(holds(.barRegionOnly, try situation { $0.words["bar.index"] = 5 }))
        #expect(!holds(.barRegionOnly, try situation { $0.words["bar.index"] = 6 }))
    }

    /// `vfio_pci_core_mmap`: only memory BARs with a size map; an I/O BAR, or a memory BAR of
    /// size 0 (unimplemented), is refused.
    @Test func memoryBAROnly() throws {
        #expect(holds(.memoryBAROnly, try situation()))
        #expect(!holds(.memoryBAROnly, try situation { $0.truths["bar.memory"] = false }))
        #expect(!holds(.memoryBAROnly, try situation { $0.words["bar.size"] = 0 }))
    }

    /// RFC v4: an mmap over the MSI-X table is refused unless MSIs are filtered; one beside the
    /// table passes either way.
    @Test func msixTableExcludedUnlessFiltered() throws {
        func withTable(isolated: Bool, offset: UInt64) throws -> Situation<Concrete> {
            try situation {
                $0.truths["msix.present"] = true
                $0.words["msix.table-bir"] = 0
                $0.words["msix.table-offset"] = 0x8000
                $0.words["msix.table-size"] = 0x40
                $0.words["msix.pba-bir"] = 0
                $0.words["msix.pba-offset"] = 0x9000
                $0.words["msix.pba-size"] = 8
                $0.words["mmap.offset"] = offset
                $0.words["mmap.length"] = 0x1000
                $0.truths["platform.msi-isolated"] = isolated
            }
        }
        #expect(!holds(.msixTableExcludedUnlessFiltered, try withTable(isolated: false, offset: 0x8000)))
        #expect(holds(.msixTableExcludedUnlessFiltered, try withTable(isolated: true, offset: 0x8000)))
        #expect(holds(.msixTableExcludedUnlessFiltered, try withTable(isolated: false, offset: 0x1000)))
        // The legacy rule refuses the table whatever the filtering.
        #expect(!holds(.msixTableExcluded, try withTable(isolated: true, offset: 0x8000)))
    }

    /// type1's attach check before 6.3: a group attaches when its MSIs are remapped or
    /// `allow_unsafe_interrupts` is set; other backends do not run it.
    @Test func attachInterruptRemapping() throws {
        #expect(!holds(.attachInterruptRemapping, try situation()))
        #expect(holds(.attachInterruptRemapping, try situation { $0.truths["platform.msi-isolated"] = true }))
        #expect(holds(.attachInterruptRemapping, try situation { $0.truths["platform.allow-unsafe-interrupts"] = true }))
        #expect(holds(.attachInterruptRemapping, try situation {
            $0.truths["platform.backend-type1"] = false
            $0.truths["platform.backend-iommufd"] = true
        }))
    }

    @Test func aMisspeltNameIsAnError() throws {
        #expect(throws: UnknownVariable.self) { try self.situation { $0.words["bar.strat"] = 1 } }
    }
}
