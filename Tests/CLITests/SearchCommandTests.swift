import Foundation
import Testing

/// `barproof search` end to end: the built binary, its stdout, the fixtures it writes, exit codes.
///
/// Time limit: each test runs `barproof search` up to three times, the slowest test 9 s on a loaded
/// 2-core machine, hence 2 minutes.
@Suite(.serialized, .timeLimit(.minutes(2))) struct SearchCommandTests {
    static let spec = """
        policy: mainline
        platform:
          page_sizes: [64K]
          probe_only: no
        search:
          devices: 3
          bars: 2
          bridges: 1
        checks:
          - name: without-reservation
            invariant: page-exclusive
            drop: [subpage-reservation]
            expect: refuted
          - name: with-reservation
            invariant: page-exclusive
            expect: proved
        """

    @Test func refutedCheckWritesMinimalFixturesWithAMitigation() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("small", Self.spec)
        let out = specs.path("fixtures")
        let run = try BarproofRun.run(["search", path, "--check", "without-reservation", "--minimize", "--suggest", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("small/without-reservation: page-exclusive under mainline - subpage-reservation"))
        #expect(run.stdout.contains("0000:00:01.0 on the root bus: BAR 0 mem32 [0x80000000, 0x80000fff] (4 KiB)"))
        #expect(run.stdout.contains("0000:00:02.0 on the root bus: BAR 0 mem32 [0x80001000, 0x80001fff] (4 KiB)"))
        #expect(run.stdout.contains("mitigation: pci=resource_alignment=16@0000:00:01.0: proved on this machine"))
        #expect(run.stdout.contains("1 counterexample(s), as expected"))
        let folder = out + "/small-without-reservation-1"
        for file in ["topology.json", "memory-map.svg", "README.md", "proc/iomem", "machine.umockdev",
                     "sys/bus/pci/devices/0000:00:01.0/config", "sys/bus/pci/devices/0000:00:02.0/resource",
                     "sys/bus/pci/devices/0000:00:02.0/subsystem_vendor"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "missing \(file)")
        }
        let readme = try String(contentsOfFile: folder + "/README.md", encoding: .utf8)
        #expect(readme.contains("## Mitigation\n\npci=resource_alignment=16@0000:00:01.0: proved on this machine"))
        // The fixture audits as the counterexample says.
        let audit = try BarproofRun.run(["audit", "--policy", "mainline", "--drop", "subpage-reservation", "--page-size", "65536",
                                         "--msi-isolated", "yes", folder + "/topology.json"])
        #expect(audit.status == 1)
        #expect(audit.stdout.contains("page-exclusive"))
    }

    /// The kernel ignores `pci=resource_alignment=` under PCI_PROBE_ONLY, so where the platform
    /// leaves PROBE_ONLY open the parameter is never offered: the dropped clause is.
    @Test func probeOnlyPlatformIsNeverOfferedResourceAlignment() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("open", Self.spec.replacingOccurrences(of: "  probe_only: no\n", with: ""))
        let run = try BarproofRun.run(["search", path, "--check", "without-reservation", "--minimize", "--suggest"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("mitigation: pci=resource_alignment"), "\(run.stdout)")
        #expect(run.stdout.contains("mitigation: restore clause mainline.subpage-reservation: proved on this machine"), "\(run.stdout)")
    }

    @Test func provedCheckReportsNoCounterexampleAndExitsZero() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("small", Self.spec)
        let run = try BarproofRun.run(["search", path, "--check", "with-reservation"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("no counterexample exists within the bounds: the pair model proves page-exclusive for all topologies"))
        #expect(run.stdout.contains("0 counterexample(s), as expected"))
        // Searching the bounds themselves (kept small: an exhaustive search is a proof over every machine in them).
        let small = try specs.write("smaller", Self.spec.replacingOccurrences(of: "devices: 3", with: "devices: 2")
            .replacingOccurrences(of: "bars: 2", with: "bars: 1"))
        let exhaustive = try BarproofRun.run(["search", small, "--check", "with-reservation", "--exhaustive", "--format", "json"])
        #expect(exhaustive.status == 0, "\(exhaustive.stderr)")
        #expect(exhaustive.stdout.contains("\"schema\" : \"barproof-search\""))
        #expect(exhaustive.stdout.contains("\"schema_version\" : 2"))
        #expect(exhaustive.stdout.contains("no counterexample within the bounds (searched exhaustively)"))
    }

    /// Same spec, same seed, two processes: the same counterexamples and the same fixture files,
    /// byte for byte (each run writes `out/` in a directory of its own; the JSON's absolute folder
    /// paths are compared with that directory taken out).
    @Test func searchIsDeterministic() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("small", Self.spec)
        var outputs: [String] = [], trees: [[String: Data]] = []
        for run in ["a", "b"] {
            let directory = specs.path(run)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let result = try BarproofRun.run(["search", path, "--check", "without-reservation", "--max", "3", "--format", "json",
                                              "--seed", "7", "--out", "out"], in: URL(fileURLWithPath: directory))
            #expect(result.status == 0, "\(result.stderr)")
            // The JSON gives each folder's absolute path: the runs' directories differ.
            let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
            outputs.append(result.stdout.replacingOccurrences(of: directory, with: "DIR").replacingOccurrences(of: resolved, with: "DIR"))
            var tree: [String: Data] = [:]
            let root = directory + "/out"
            for file in FileManager.default.enumerator(atPath: root)?.compactMap({ $0 as? String }) ?? [] {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue {
                    tree[file] = FileManager.default.contents(atPath: root + "/" + file)
                }
            }
            trees.append(tree)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].components(separatedBy: "\"view\"").count - 1 == 3)
        #expect(trees[0].count > 30, "\(trees[0].keys.sorted())")
        #expect(trees[0] == trees[1], "fixture files differ: \(trees[0].keys.filter { trees[0][$0] != trees[1][$0] }.sorted())")
    }

    @Test func wrongExpectationExitsOne() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("wrong", Self.spec.replacingOccurrences(of: "expect: refuted", with: "expect: proved"))
        let run = try BarproofRun.run(["search", path, "--check", "without-reservation", "--max", "2"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("NOT as expected"))
    }

    @Test func badBoundsAreBadInput() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("bad", Self.spec.replacingOccurrences(of: "bars: 2", with: "bars: 9"))
        let run = try BarproofRun.run(["search", path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("bad.yaml:7:"))
        #expect(run.stderr.contains("'bars' must be a whole number in 1...6"))
        let alignment = try specs.write("align", Self.spec.replacingOccurrences(of: "bridges: 1", with: "resource_alignment: \"16@zz\""))
        let second = try BarproofRun.run(["search", alignment])
        #expect(second.status == 65)
        #expect(second.stderr.contains("'resource_alignment' is not valid kernel syntax"))
    }
}
