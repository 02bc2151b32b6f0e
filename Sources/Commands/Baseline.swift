import Foundation
import PCIModel
import Reports
import SpecFiles

/// An earlier report given as `--baseline`: what did not pass in it. `prove` reads a
/// `barproof-prove` report (checks by spec/check), `audit` a `barproof-audit` or
/// `barproof-audit-fleet` report (findings by host, device, BAR and invariant). Any other document
/// is bad input at its `schema`.
struct Baseline {
    var file: String
    /// `spec/check` of each check that did not pass.
    var checks: Set<String> = []
    /// Each audit finding: host (as its report names it), device, BAR, invariant.
    var findings: Set<AuditKey> = []
    /// The hosts the baseline audited.
    var hosts: Set<String> = []

    struct AuditKey: Hashable {
        var host: String
        var device: String
        var bar: Int
        var invariant: String
    }

    /// `--baseline FILE`: it must exist (else a usage error, so a typo cannot turn it off).
    static func check(_ given: String) throws {
        try requireRegularFile(given, option: "--baseline")
    }

    struct ProveDocument: Decodable {
        struct Check: Decodable { var spec: String; var check: String; var status: String }
        var checks: [Check]
    }

    struct AuditDocument: Decodable {
        struct Verdict: Decodable { var violations: [String]; var unknown: [String]? }
        struct BAR: Decodable { var index: Int; var verdicts: [Verdict] }
        struct Device: Decodable { var address: String; var bars: [BAR] }
        var host: String?
        var devices: [Device]
    }

    struct FleetDocument: Decodable { var hosts: [AuditDocument] }

    static func read(_ path: String) throws -> (Data, DocumentHeader) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1, message: "cannot read the baseline")])
        }
        do throws(JSONInput.Problem) {
            return (data, try JSONInput.decode(DocumentHeader.self, from: data))
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column,
                                                          message: "not a barproof report: \(error.message)")])
        }
    }

    static func wrongSchema(_ path: String, _ data: Data, _ header: DocumentHeader, expected: String) -> SpecErrors {
        let place = JSONInput.problem(atKeys: ["schema"], in: data, "")
        let given = header.schemaVersion.map { "\(header.schema) version \($0)" } ?? header.schema
        return SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: place.line, column: place.column,
                                                       message: "schema \(given); --baseline takes \(expected)")])
    }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String, _ data: Data) throws -> T {
        do throws(JSONInput.Problem) {
            return try JSONInput.decode(type, from: data)
        } catch {
            throw SpecErrors(diagnostics: [SpecDiagnostic(file: path, line: error.line, column: error.column, message: error.message)])
        }
    }

    /// A `barproof prove --format json` report (version 1).
    static func prove(_ path: String) throws -> Baseline {
        let (data, header) = try read(path)
        guard header.schema == JSONReport.schema, header.schemaVersion == JSONReport.schemaVersion else {
            throw wrongSchema(path, data, header, expected: "a barproof-prove version 1 report (barproof prove --format json)")
        }
        let document = try decode(ProveDocument.self, path, data)
        return Baseline(file: path, checks: Set(document.checks.filter { $0.status != "pass" }.map { "\($0.spec)/\($0.check)" }))
    }

    /// A `barproof audit --format json` report of one host or of a fleet (version 1).
    static func audit(_ path: String) throws -> Baseline {
        let (data, header) = try read(path)
        let hosts: [AuditDocument]
        switch (header.schema, header.schemaVersion) {
        case ("barproof-audit", 1): hosts = [try decode(AuditDocument.self, path, data)]
        case ("barproof-audit-fleet", 1): hosts = try decode(FleetDocument.self, path, data).hosts
        default:
            throw wrongSchema(path, data, header, expected: "a barproof-audit or barproof-audit-fleet version 1 report (barproof audit --format json)")
        }
        var baseline = Baseline(file: path)
        for host in hosts {
            let name = SourceRootResolution.normalized(host.host ?? "host")
            baseline.hosts.insert(name)
            for device in host.devices {
                let address = PCIAddress(device.address)?.description ?? device.address
                for bar in device.bars {
                    for id in Set(bar.verdicts.flatMap { $0.violations + ($0.unknown ?? []) }) {
                        baseline.findings.insert(AuditKey(host: name, device: address, bar: bar.index, invariant: id))
                    }
                }
            }
        }
        return baseline
    }

    /// Whether an audit finding of `host` was one in the baseline too. A baseline of one host
    /// matched against the audit of one host ignores the host's name (the same host audited from
    /// another path).
    func contains(host: String, device: String, bar: Int, invariant: String, singleHost: Bool) -> Bool {
        let address = PCIAddress(device)?.description ?? device
        let name = singleHost && hosts.count == 1 ? hosts.first! : SourceRootResolution.normalized(host)
        return findings.contains(AuditKey(host: name, device: address, bar: bar, invariant: invariant))
    }
}
