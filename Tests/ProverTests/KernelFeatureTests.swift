import Foundation
import SpecFiles
import Testing
import VFIORules

/// `features:` on a release preset: each feature given to a preset without it, or taken from one
/// with it, leaves exactly the feature's change (so a preset before a feature plus the feature is
/// the clause set of the release that introduced it, where nothing else changed), and a spec
/// naming a feature wrongly is an error at its line and column.
/// Time limit: spec parsing only, no solving; well under a second.
@Suite(.timeLimit(.minutes(1))) struct KernelFeatureTests {
    static func rules(_ spec: String) throws -> Set<Rule> {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("feature-\(UUID().uuidString).yaml").path
        try Data(spec.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return Set(try Spec.load(path: file).checks[0].policy.clauses.map(\.rule))
    }

    static func spec(_ kernel: String, _ features: String) -> String {
        "kernel: \"\(kernel)\"\nfeatures:\n\(features)\nchecks:\n  - invariant: page-exclusive\n    expect: proved\n"
    }

    static func preset(_ name: String) throws -> Set<Rule> { Set(try KernelRelease.named(name).rules) }

    @Test func aBackportGivesTheReleaseThatIntroducedIt() throws {
        // 4.11-4.15 plus the 4.16 change is 4.16; 6.6 without the 6.3 change is 6.2.
        #expect(try Self.rules(Self.spec("4.15", "  msix-mappable: yes")) == (try Self.preset("4.16")))
        #expect(try Self.rules(Self.spec("5.4", "  group-msi-remap: yes")) == (try Self.preset("5.19")))
        #expect(try Self.rules(Self.spec("4.9", "  msi-remap-attach: yes")) == (try Self.preset("4.11")))
        #expect(try Self.rules(Self.spec("6.6", "  isolated-msi: no")) == (try Self.preset("6.2")))
    }

    @Test func everyFeatureOnEveryPresetChangesOnlyItself() {
        for release in KernelRelease.all {
            for feature in KernelFeature.all {
                let policy = release.policy
                let on = !feature.isIn(policy)
                guard let change = feature.change(policy, on: on) else { continue }
                let changed = (try? policy.adding(change.add).removing(change.drop.map(\.rawValue))) ?? policy
                #expect(feature.isIn(changed) == on, "\(feature.name) \(on ? "given to" : "taken from") \(release.name)")
                let before = Set(policy.clauses.map(\.rule)), after = Set(changed.clauses.map(\.rule))
                #expect(before.symmetricDifference(after).isSubset(of: Set(feature.before + feature.after + feature.restores)),
                        "\(feature.name) on \(release.name) changed more than itself")
            }
        }
    }

    @Test func wrongFeaturesAreErrorsAtTheirLines() throws {
        func errors(_ spec: String) -> [String] {
            do { _ = try Self.rules(spec); return [] } catch let e as SpecErrors { return e.diagnostics.map { "\($0.line):\($0.column) \($0.message)" } } catch { return ["\(error)"] }
        }
        #expect(errors(Self.spec("4.15", "  msix-mapable: yes")) == ["3:3 no kernel feature 'msix-mapable'; did you mean 'msix-mappable'?"])
        #expect(errors(Self.spec("6.6", "  isolated-msi: yes")) == ["3:3 linux-6.6 already has feature 'isolated-msi'"])
        #expect(errors(Self.spec("4.15", "  msix-mappable: maybe")) == ["3:18 'msix-mappable' must be yes or no, found 'maybe'"])
        let withPolicy = "policy: mainline\nfeatures:\n  msix-mappable: yes\nchecks:\n  - invariant: page-exclusive\n    expect: proved\n"
        #expect(errors(withPolicy).first?.hasPrefix("3:3 'features' changes a kernel release preset") == true, "\(errors(withPolicy))")
    }
}
