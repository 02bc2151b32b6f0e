import Foundation
import PCIModel
import Prover
import Reports
import VFIORules
import Yams

/// A spec file, `Specs/<name>.yaml`: a policy, a platform, and checks with expected verdicts.
/// The format is documented in `Specs/README.md`.
public struct Spec: Sendable {
    /// The file name without `.yaml`; names the spec in reports and under `proofs/`.
    public var name: String
    public var file: String
    /// SHA-256 of the file's bytes. Not recorded: records digest each check's parsed form
    /// (`SpecCheck.digest`), so a comment is not drift.
    public var sha256: String
    public var checks: [SpecCheck]

    /// The longest spec or check name, in UTF-8 bytes: it names a folder and files under
    /// `proofs/` (`<check>.<page>-case<n>.smt2`, `.<spec>.staging-<pid>`), which must fit a file
    /// name (255 bytes).
    public static let maximumNameBytes = 100
}

/// One check of a spec, with the spec-level settings and its own overrides merged.
public struct SpecCheck: Sendable {
    public var name: String
    public var location: SpecLocation
    public var policy: Policy
    public var platform: PlatformSpec
    public var invariant: Invariant
    public var assumptions: [Assumption]
    public var expect: Expectation
    /// Bounds for `barproof search`.
    public var search: SearchBounds

    public func request(timeoutMilliseconds: UInt32?, seed: UInt32, minimiseCore: Bool = false) -> CheckRequest {
        CheckRequest(policy: policy, platform: platform, invariant: invariant, assumptions: assumptions,
                     timeoutMilliseconds: timeoutMilliseconds, seed: seed, minimiseCore: minimiseCore)
    }
}

extension Spec {
    /// Reads and validates the spec at `path`. Throws ``SpecErrors`` listing every problem found.
    public static func load(path: String) throws -> Spec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "the file is not UTF-8")])
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var parser = SpecParser(file: path)
        let checks = parser.parse(text)
        if name.utf8.count > maximumNameBytes {
            parser.error(at: nil, "the spec's name '\(name)' (its file name without .yaml) is \(name.utf8.count) bytes; "
                         + "at most \(maximumNameBytes), as it names a folder under proofs/")
        }
        if name.hasPrefix(".") {
            parser.error(at: nil, "the spec's name '\(name)' starts with '.'; it names a folder under proofs/, where "
                         + "dot-names are barproof's staging folders")
        }
        if !parser.diagnostics.isEmpty {
            // A spec-level `drop` is checked once per check; report each problem once.
            let unique = Set(parser.diagnostics).sorted { ($0.line, $0.column, $0.message) < ($1.line, $1.column, $1.message) }
            throw SpecErrors(diagnostics: unique)
        }
        return Spec(name: name, file: path, sha256: SHA256.hex(data), checks: checks.map { check in
            var check = check
            check.location.spec = name
            return check
        })
    }

    /// The spec files a list of paths names: files as given, directories' `*.yaml` files sorted.
    public static func files(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "no such file or directory")])
            }
            if isDirectory.boolValue {
                let entries = try FileManager.default.contentsOfDirectory(atPath: path)
                let base = path.hasSuffix("/") ? String(path.dropLast()) : path
                files += entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { base + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Loads every spec, collecting all diagnostics before failing; rejects two specs with one name.
    public static func loadAll(_ paths: [String]) throws -> [Spec] {
        var specs: [Spec] = []
        var diagnostics: [SpecDiagnostic] = []
        for file in try files(in: paths) {
            do {
                let spec = try load(path: file)
                if let other = specs.first(where: { $0.name == spec.name }) {
                    diagnostics.append(SpecDiagnostic(file: file, line: 1, column: 1,
                                                      message: "another spec is named '\(spec.name)' (\(other.file)); records would collide"))
                }
                specs.append(spec)
            } catch let errors as SpecErrors {
                diagnostics += errors.diagnostics
            }
        }
        if !diagnostics.isEmpty { throw SpecErrors(diagnostics: diagnostics) }
        return specs
    }
}

/// Page sizes, isolation, backends: the platform keys a spec or a check may set. Unset keys
/// inherit from the spec, then from ``PlatformSpec/any``.
struct PlatformFields {
    var pageSizes: [PageSize]?
    var msiIsolated: Bool??
    var allowUnsafeInterrupts: Bool??
    var backends: [Backend]?
    var unalignedFixedResources: Bool?
    /// Host facts set here: a value, or nil for "either" (`any`) over an inherited value.
    var hostFacts: [HostFact: Bool?] = [:]

    func overriding(_ base: PlatformFields) -> PlatformFields {
        PlatformFields(pageSizes: pageSizes ?? base.pageSizes, msiIsolated: msiIsolated ?? base.msiIsolated,
                       allowUnsafeInterrupts: allowUnsafeInterrupts ?? base.allowUnsafeInterrupts,
                       backends: backends ?? base.backends,
                       unalignedFixedResources: unalignedFixedResources ?? base.unalignedFixedResources,
                       hostFacts: base.hostFacts.merging(hostFacts) { _, own in own })
    }

    var platform: PlatformSpec {
        let any = PlatformSpec.any
        return PlatformSpec(pageSizes: pageSizes ?? any.pageSizes, msiIsolated: msiIsolated ?? any.msiIsolated,
                            allowUnsafeInterrupts: allowUnsafeInterrupts ?? any.allowUnsafeInterrupts,
                            backends: backends ?? any.backends,
                            unalignedFixedResources: unalignedFixedResources ?? any.unalignedFixedResources,
                            hostFacts: hostFacts.compactMapValues { $0 })
    }
}

/// Walks the YAML node tree, checking every key and value and noting problems at their marks.
/// Its helpers (``fields(_:allowed:what:)``, ``string(_:what:)``, ``error(_:_:)``, ...) are public
/// for the other YAML files barproof reads the same way (the suppressions file).
public struct SpecParser {
    static let topKeys = ["description", "policy", "kernel", "features", "add", "drop", "platform", "assumptions", "search", "checks"]
    static let checkKeys = ["name", "description", "invariant", "expect", "add", "drop", "platform", "assumptions", "search"]
    static let searchKeys = ["devices", "bars", "bridges", "bar_sizes", "mmio", "resource_alignment", "fixed_bars"]
    static let platformKeys = ["page_sizes", "msi_isolated", "allow_unsafe_interrupts", "backends", "unaligned_fixed_resources"]
        + HostFact.allCases.map(\.specKey)

    public let file: String
    public var diagnostics: [SpecDiagnostic] = []

    public init(file: String) { self.file = file }

    public mutating func error(_ node: Node?, _ message: String) {
        error(at: node?.mark, message)
    }

    public mutating func error(at mark: Mark?, _ message: String) {
        diagnostics.append(SpecDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    mutating func parse(_ text: String) -> [SpecCheck] {
        // Yams composes recursively, a level of nesting at a time: a document nested some
        // thousands of levels deep would overflow the stack inside it, so measure first.
        do {
            try NestingLimit.checkYAML(text)
        } catch {
            diagnostics.append(SpecDiagnostic(file: file, line: error.line, column: error.column, message: error.message))
            return []
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                error(at: nil, "the spec is empty; it needs at least 'policy' and 'checks'")
                return []
            }
            root = node
        } catch let yaml as YamlError {
            let (mark, problem) = Self.describe(yaml)
            error(at: mark, "not valid YAML: \(problem)")
            return []
        } catch {
            self.error(at: nil, "not valid YAML: \(error)")
            return []
        }
        guard let top = fields(root, allowed: Self.topKeys, what: "the spec") else { return [] }

        var policy: Policy?
        let policyNames = Policy.all.map(\.name) + KernelRelease.all.map(\.policy.name)
        switch (top["policy"], top["kernel"]) {
        case let (node?, nil):
            if let name = string(node, what: "'policy'") {
                policy = Policy.named(name)
                if policy == nil { error(node, "unknown policy '\(name)'" + NameSuggestion.hint(for: name, among: policyNames)) }
            }
        case let (nil, node?):
            if let text = string(node, what: "'kernel'") {
                do { policy = try KernelRelease.named(text).policy } catch { self.error(node, "'kernel': \(error)") }
            }
        case let (_?, node?):
            error(node, "give 'policy' or 'kernel', not both")
        case (nil, nil):
            error(root, "missing key 'policy' (one of: \(Policy.all.map(\.name).joined(separator: ", "))) or 'kernel' (a release such as 4.19 or 6.1)")
        }
        var adds = top["add"].map { strings($0, what: "'add'") } ?? []
        var drops = top["drop"].map { strings($0, what: "'drop'") } ?? []
        if let node = top["features"] {
            if top["kernel"] == nil {
                error(node, "'features' changes a kernel release preset: give 'kernel' (such as 4.15), not 'policy'")
            } else if let policy, let (featureDrops, featureAdds) = features(node, of: policy) {
                drops = featureDrops + drops
                adds = featureAdds + adds
            }
        }
        let platform = top["platform"].flatMap { platformFields($0) } ?? PlatformFields()
        let assumptions = top["assumptions"].flatMap { assumptionList($0) }
        let search = top["search"].flatMap { searchBounds($0, base: SearchBounds()) } ?? SearchBounds()

        guard let checksNode = top["checks"] else {
            error(root, "missing key 'checks' (a list of checks, each with 'invariant' and 'expect')")
            return []
        }
        guard case let .sequence(sequence) = checksNode else {
            error(checksNode, "'checks' must be a list, found \(Self.kind(checksNode))")
            return []
        }
        if sequence.isEmpty { error(checksNode, "'checks' is empty") }

        var checks: [SpecCheck] = []
        var seen: [String: Mark?] = [:]
        for node in sequence {
            guard let check = check(node, policy: policy, adds: adds, drops: drops, platform: platform, assumptions: assumptions,
                                    search: search) else { continue }
            if let first = seen[check.name] {
                error(node, "two checks are named '\(check.name)' (the first at line \(first?.line ?? 0)); give one a 'name'")
                continue
            }
            seen[check.name] = node.mark
            checks.append(check)
        }
        return checks
    }

    /// `features: {name: yes|no, ...}` on `policy`: the clauses to drop and add, each at its
    /// feature's line; nil after noting a problem.
    mutating func features(_ node: Node, of policy: Policy) -> (drops: [(String, Node)], adds: [(String, Node)])? {
        guard case let .mapping(mapping) = node else {
            error(node, "'features' must be a mapping of feature names to yes or no, found \(Self.kind(node))")
            return nil
        }
        var drops: [(String, Node)] = [], adds: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = string(key, what: "a feature name") else { continue }
            guard let feature = KernelFeature.named(name) else {
                error(key, "no kernel feature '\(name)'" + NameSuggestion.hint(for: name, among: KernelFeature.all.map(\.name)))
                continue
            }
            guard let on = boolean(value, key: name) else { continue }
            guard let change = feature.change(policy, on: on) else {
                let has = feature.isIn(policy)
                error(key, "\(policy.name) " + (has == on ? "already \(on ? "has" : "lacks") feature '\(name)'"
                                                 : "has neither form of feature '\(name)' (\(feature.summary))"))
                continue
            }
            drops += change.drop.map { ($0.rawValue, key) }
            adds += change.add.map { ($0.rawValue, key) }
        }
        return (drops, adds)
    }

    mutating func check(_ node: Node, policy base: Policy?, adds: [(String, Node)], drops: [(String, Node)], platform: PlatformFields,
                        assumptions: [Assumption]?, search: SearchBounds) -> SpecCheck? {
        guard let keys = fields(node, allowed: Self.checkKeys, what: "a check") else { return nil }
        _ = keys["description"].map { string($0, what: "'description'") }
        var invariant: Invariant?
        if let value = keys["invariant"] {
            if let name = string(value, what: "'invariant'") {
                invariant = Invariant(rawValue: name)
                if invariant == nil {
                    error(value, "unknown invariant '\(name)'" + NameSuggestion.hint(for: name, among: Invariant.allCases.map(\.rawValue)))
                }
            }
        } else {
            error(node, "missing key 'invariant' in a check")
        }
        var expect: Expectation?
        if let value = keys["expect"] {
            if let name = string(value, what: "'expect'") {
                expect = Expectation(rawValue: name)
                if expect == nil {
                    error(value, "unknown verdict '\(name)'" + NameSuggestion.hint(for: name, among: Expectation.allCases.map(\.rawValue)))
                }
            }
        } else {
            error(node, "missing key 'expect' in a check (proved, refuted or vacuous)")
        }
        var name = invariant?.rawValue
        if let value = keys["name"], let given = string(value, what: "'name'") {
            if given.isEmpty || !given.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
                || given.hasPrefix(".") {
                error(value, "check name '\(given)' must be letters, digits, '-', '_' or '.' (it names a file under proofs/)")
            } else if given.utf8.count > Spec.maximumNameBytes {
                error(value, "check name '\(given.prefix(24))...' is \(given.utf8.count) bytes; at most \(Spec.maximumNameBytes) "
                      + "(it names files under proofs/)")
            } else {
                name = given
            }
        }
        let ownAdds = keys["add"].map { strings($0, what: "'add'") } ?? []
        let ownDrops = keys["drop"].map { strings($0, what: "'drop'") } ?? []
        let ownPlatform = keys["platform"].flatMap { platformFields($0) } ?? PlatformFields()
        let ownAssumptions = keys["assumptions"].flatMap { assumptionList($0) }
        let ownSearch = keys["search"].flatMap { searchBounds($0, base: search) } ?? search

        guard let base else { return nil }
        var added: [Rule] = []
        for (clause, node) in adds + ownAdds {
            if let rule = Rule(rawValue: clause) {
                if base.clauses.contains(where: { $0.rule == rule }) || added.contains(rule) {
                    error(node, "clause '\(clause)' is already in policy \(base.name)" + (added.contains(rule) ? " (added twice)" : ""))
                } else {
                    added.append(rule)
                }
            } else {
                error(node, "no clause '\(clause)' in the catalogue" + NameSuggestion.hint(for: clause, among: Rule.allCases.map(\.rawValue)))
            }
        }
        let policy = base.adding(added)
        var removed: [String] = []
        for (clause, node) in drops + ownDrops {
            let known = policy.clauses.map(\.shortName)
            if removed.contains(clause) {
                error(node, "clause '\(clause)' is dropped twice")
            } else if !policy.clauses.contains(where: { $0.shortName == clause || $0.id == clause }) {
                error(node, "policy \(policy.name) has no clause '\(clause)'" + NameSuggestion.hint(for: clause, among: known))
            } else {
                removed.append(clause)
            }
        }
        guard let invariant, let expect, let name, let reduced = try? policy.removing(removed) else { return nil }
        let mark = node.mark
        return SpecCheck(name: name, location: SpecLocation(spec: "", file: file, line: mark?.line ?? 1, column: mark?.column ?? 1),
                         policy: reduced, platform: ownPlatform.overriding(platform).platform, invariant: invariant,
                         assumptions: ownAssumptions ?? assumptions ?? Assumption.defaults(for: reduced), expect: expect,
                         search: ownSearch)
    }

    mutating func platformFields(_ node: Node) -> PlatformFields? {
        guard let keys = fields(node, allowed: Self.platformKeys, what: "'platform'") else { return nil }
        var fields = PlatformFields()
        if let value = keys["page_sizes"] {
            var sizes: [PageSize] = []
            let items = strings(value, what: "'page_sizes'")
            for (text, item) in items {
                if let size = Self.pageSize(text) {
                    if !sizes.contains(size) { sizes.append(size) }
                } else {
                    error(item, "'\(text)' is not a page size; use bytes (4096, 16384, 65536) or 4K, 16K, 64K")
                }
            }
            if items.isEmpty { error(value, "'page_sizes' names no page size") }
            if !sizes.isEmpty { fields.pageSizes = sizes }
        }
        if let value = keys["msi_isolated"] { fields.msiIsolated = triState(value, key: "msi_isolated") }
        if let value = keys["allow_unsafe_interrupts"] {
            fields.allowUnsafeInterrupts = triState(value, key: "allow_unsafe_interrupts")
        }
        if let value = keys["backends"] {
            var backends: [Backend] = []
            let items = strings(value, what: "'backends'")
            for (text, item) in items {
                if let backend = Backend(rawValue: text) {
                    backends.append(backend)
                } else {
                    error(item, "unknown backend '\(text)'" + NameSuggestion.hint(for: text, among: Backend.allCases.map(\.rawValue)))
                }
            }
            if items.isEmpty { error(value, "'backends' names no backend") }
            if !backends.isEmpty { fields.backends = backends }
        }
        if let value = keys["unaligned_fixed_resources"], let flag = boolean(value, key: "unaligned_fixed_resources") {
            fields.unalignedFixedResources = flag
        }
        for fact in HostFact.allCases {
            if let value = keys[fact.specKey], let state = triState(value, key: fact.specKey) { fields.hostFacts[fact] = state }
        }
        return fields
    }

    /// The `search` mapping: bounds for `barproof search`, each key overriding `base`.
    mutating func searchBounds(_ node: Node, base: SearchBounds) -> SearchBounds? {
        guard let keys = fields(node, allowed: Self.searchKeys, what: "'search'") else { return nil }
        var bounds = base
        func count(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let value = keys[key], let text = string(value, what: "'\(key)'") else { return nil }
            guard let n = Int(text), range.contains(n) else {
                error(value, "'\(key)' must be a whole number in \(range.lowerBound)...\(range.upperBound), found '\(text)'")
                return nil
            }
            return n
        }
        if let n = count("devices", SearchBounds.deviceRange) { bounds.devices = n }
        if let n = count("bars", SearchBounds.barRange) { bounds.barsPerDevice = n }
        if let n = count("bridges", SearchBounds.bridgeRange) { bounds.bridges = n }
        func pair(_ key: String) -> (UInt64, UInt64)? {
            guard let value = keys[key] else { return nil }
            let items = strings(value, what: "'\(key)'")
            guard items.count == 2 else {
                error(value, "'\(key)' must be a list of two values [smallest, largest]")
                return nil
            }
            let values = items.map { text, item -> UInt64? in
                let parsed = Self.byteCount(text)
                if parsed == nil { error(item, "'\(text)' is not a byte count or address (use 4096, 0x1000, 4K, 1M, 1G, 1T)") }
                return parsed
            }
            guard let low = values[0], let high = values[1] else { return nil }
            if low > high { error(value, "'\(key)' must list the smaller value first") ; return nil }
            return (low, high)
        }
        if let (low, high) = pair("bar_sizes") {
            if !SearchBounds.isBARSizeBound(low) || !SearchBounds.isBARSizeBound(high) {
                error(keys["bar_sizes"], "'bar_sizes' must be powers of two of at least 16 bytes (PCI's smallest memory BAR)")
            } else {
                bounds.minBARSize = low
                bounds.maxBARSize = high
            }
        }
        if let value = keys["fixed_bars"], let flag = boolean(value, key: "fixed_bars") { bounds.fixedBARs = flag }
        if let (low, high) = pair("mmio") { bounds.mmio = Topology.Window(start: low, end: high) }
        if let value = keys["resource_alignment"], let text = string(value, what: "'resource_alignment'") {
            do {
                bounds.resourceAlignment = try ResourceAlignmentParameter(parsing: text)
            } catch {
                self.error(value, "'resource_alignment' is not valid kernel syntax ([<order>@]<pci_dev>[; ...]): \(error.message)")
            }
        }
        return bounds
    }

    /// `4096`, `0x1000`, `4K`, `1M`, `1G`, `1T` (binary multiples).
    static func byteCount(_ text: String) -> UInt64? {
        let upper = text.uppercased()
        if upper.hasPrefix("0X") { return UInt64(upper.dropFirst(2), radix: 16) }
        for (suffix, shift) in [("K", 10), ("M", 20), ("G", 30), ("T", 40)] {
            for unit in [suffix + "IB", suffix + "B", suffix] where upper.hasSuffix(unit) {
                guard let n = UInt64(upper.dropLast(unit.count)), n <= UInt64.max >> shift else { return nil }
                return n << UInt64(shift)
            }
        }
        return UInt64(text)
    }

    mutating func assumptionList(_ node: Node) -> [Assumption]? {
        var result: [Assumption] = []
        for (text, item) in strings(node, what: "'assumptions'") {
            if let assumption = Assumption(rawValue: text) {
                if !result.contains(assumption) { result.append(assumption) }
            } else {
                error(item, "unknown assumption '\(text)'" + NameSuggestion.hint(for: text, among: Assumption.allCases.map(\.rawValue)))
            }
        }
        return result
    }

    static func pageSize(_ text: String) -> PageSize? {
        let upper = text.uppercased()
        for suffix in ["KIB", "KB", "K"] where upper.hasSuffix(suffix) {
            guard let kib = UInt64(upper.dropLast(suffix.count)), kib <= 1 << 20 else { return nil }
            return PageSize(rawValue: kib << 10)
        }
        return UInt64(text).flatMap(PageSize.init(rawValue:))
    }

    // MARK: - Node shapes

    /// The mapping's entries by key, after rejecting unknown and repeated keys.
    public mutating func fields(_ node: Node, allowed: [String], what: String) -> [String: Node]? {
        guard case let .mapping(mapping) = node else {
            error(node, "\(what) must be a mapping of keys (\(allowed.joined(separator: ", "))), found \(Self.kind(node))")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                error(keyNode, "keys in \(what) must be plain names, found \(Self.kind(keyNode))")
                continue
            }
            let key = scalar.string
            if !allowed.contains(key) {
                error(keyNode, "unknown key '\(key)' in \(what)" + NameSuggestion.hint(for: key, among: allowed))
            } else if result[key] != nil {
                error(keyNode, "key '\(key)' appears twice in \(what)")
            } else {
                result[key] = value
            }
        }
        return result
    }

    public mutating func string(_ node: Node, what: String) -> String? {
        guard case let .scalar(scalar) = node else {
            error(node, "\(what) must be a single value, found \(Self.kind(node))")
            return nil
        }
        if scalar.string.isEmpty && scalar.style == .plain {
            error(node, "\(what) has no value")
            return nil
        }
        return scalar.string
    }

    /// A list of names, or one name standing for a list of one.
    public mutating func strings(_ node: Node, what: String) -> [(String, Node)] {
        switch node {
        case .scalar:
            return string(node, what: what).map { [($0, node)] } ?? []
        case .sequence(let items):
            return items.compactMap { item in string(item, what: "an item of \(what)").map { ($0, item) } }
        case .mapping:
            error(node, "\(what) must be a list, found a mapping")
            return []
        }
    }

    public mutating func boolean(_ node: Node, key: String) -> Bool? {
        guard let text = string(node, what: "'\(key)'") else { return nil }
        switch text.lowercased() {
        case "yes", "true", "on": return true
        case "no", "false", "off": return false
        default:
            error(node, "'\(key)' must be yes or no, found '\(text)'")
            return nil
        }
    }

    /// yes, no, or any (either: the proof covers both).
    mutating func triState(_ node: Node, key: String) -> Bool?? {
        guard let text = string(node, what: "'\(key)'") else { return nil }
        switch text.lowercased() {
        case "yes", "true", "on": return .some(true)
        case "no", "false", "off": return .some(false)
        case "any", "either": return .some(nil)
        default:
            error(node, "'\(key)' must be yes, no or any, found '\(text)'")
            return nil
        }
    }

    public static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the value '\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    public static func describe(_ error: YamlError) -> (Mark?, String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return (mark, context.map { "\($0.text), \(problem)" } ?? problem)
        default:
            return (nil, error.description)
        }
    }
}

extension HostFact {
    /// The spec's `platform` key for the fact: its name in snake case (`msi_domain_present`).
    public var specKey: String { rawValue.replacingOccurrences(of: "-", with: "_") }
}
