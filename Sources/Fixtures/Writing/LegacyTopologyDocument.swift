import Foundation
import PCIModel
import Prover
import Reports
import VFIORules

/// A version 1 `topology.json` (`"schema": "barproof-topology/1"`), as barproof 0.1.0 wrote it
/// before the JSON style: camelCase keys, addresses and sizes as JSON numbers. Decode-only, and
/// its own types rather than a mode of the version 2 Codable, so version 2 stays strict: a v2
/// document with a number for an address is an error, not a v1 document.
struct LegacyTopologyDocument: Decodable {
    var document: TopologyDocument

    enum CodingKeys: String, CodingKey { case counterexample, summary, reproduce, snapshot }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let summary = try c.decode(Summary.self, forKey: .summary)
        let reproduce = try c.decode(Reproduce.self, forKey: .reproduce)
        document = TopologyDocument(
            barproofVersion: "unknown", counterexample: try c.decode(Counterexample.self, forKey: .counterexample).value,
            summary: .init(invariant: summary.invariant, statement: summary.statement, policy: summary.policy,
                           target: summary.target, request: summary.request, exposed: summary.exposed,
                           pageCount: summary.pageCount, pages: summary.pages, foreign: summary.foreign,
                           allowedThrough: summary.allowedThrough),
            reproduce: .init(audit: reproduce.audit, auditWholeBAR: reproduce.auditWholeBAR, search: reproduce.search),
            snapshot: try c.decode(SnapshotDocument.self, forKey: .snapshot))
    }

    struct Summary: Decodable {
        var invariant: String
        var statement: String
        var policy: String
        var target: String
        var request: String
        var exposed: String
        var pageCount: UInt64
        var pages: [String]
        var foreign: String?
        var allowedThrough: String
    }

    struct Reproduce: Decodable {
        var audit: String
        var auditWholeBAR: Bool
        var search: String?
    }

    struct Window: Decodable {
        var start: UInt64
        var end: UInt64
        var value: Topology.Window { .init(start: start, end: end) }
    }

    struct Bridge: Decodable {
        var address: PCIAddress
        var secondaryBus: UInt8
        var window: Window
        var upstream: PCIAddress?
    }

    struct PlacedBAR: Decodable {
        var index: Int
        var kind: BARKind
        var prefetchable: Bool
        var start: UInt64
        var size: UInt64
        var fixed: Bool
    }

    struct MSIX: Decodable {
        var value: MSIXCapability

        enum CodingKeys: String, CodingKey {
            case tableBIR, tableOffset, entries, pbaBIR, pbaOffset, enabled, functionMasked, capabilityOffset
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard let value = MSIXCapability(
                tableBIR: try c.decode(Int.self, forKey: .tableBIR), tableOffset: try c.decode(UInt32.self, forKey: .tableOffset),
                entries: try c.decode(Int.self, forKey: .entries), pbaBIR: try c.decode(Int.self, forKey: .pbaBIR),
                pbaOffset: try c.decode(UInt32.self, forKey: .pbaOffset), enabled: try c.decode(Bool.self, forKey: .enabled),
                functionMasked: try c.decode(Bool.self, forKey: .functionMasked),
                capabilityOffset: try c.decodeIfPresent(Int.self, forKey: .capabilityOffset)) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: c.codingPath,
                    debugDescription: "not an MSI-X capability: a BIR outside 0...5, an offset not 8-byte aligned, or entries outside 1...2048"))
            }
            self.value = value
        }
    }

    struct Function: Decodable {
        var address: PCIAddress
        var vendorID: UInt16
        var deviceID: UInt16
        var classCode: UInt32
        var bars: [PlacedBAR]
        var msix: MSIX?
        var upstream: PCIAddress?
    }

    struct TopologyV1: Decodable {
        var pageSize: UInt64
        var hostWindow: Window
        var bridges: [Bridge]
        var functions: [Function]

        var value: Topology {
            var topology = Topology(
                pageSize: pageSize, hostWindow: hostWindow.value,
                bridges: bridges.map { .init(address: $0.address, secondaryBus: $0.secondaryBus, window: $0.window.value, upstream: $0.upstream) },
                functions: [])
            // Assigned, not passed to Function.init, which sorts the BARs: the document's order is kept.
            topology.functions = functions.map { f in
                var function = Topology.Function(address: f.address, vendorID: f.vendorID, deviceID: f.deviceID, classCode: f.classCode,
                                                 bars: [], msix: f.msix?.value, upstream: f.upstream)
                function.bars = f.bars.map {
                    .init(index: $0.index, kind: $0.kind, prefetchable: $0.prefetchable, start: $0.start, size: $0.size, fixed: $0.fixed)
                }
                return function
            }
            return topology
        }
    }

    struct Platform: Decodable {
        var pageSize: UInt64
        var msiIsolated: Bool
        var allowUnsafeInterrupts: Bool
        var backend: Backend
        var unalignedFixedResources: Bool
        var hostFacts: [String: Bool]?
    }

    struct View: Decodable {
        var clause: String
        var foreignKind: String
        var pageOffsetClass: String
    }

    struct Counterexample: Decodable {
        var topology: TopologyV1
        var invariant: Invariant
        var policy: String
        var policyName: String
        var removedClauses: [String]
        var addedClauses: [String]?
        var platform: Platform
        var target: BARReference
        var requestOffset: UInt64
        var requestLength: UInt64
        var exposed: Window
        var foreign: BARReference?
        var allowedBy: [String]
        var view: View

        var value: TopologyCounterexample {
            var facts = PlatformFacts(pageSize: platform.pageSize, msiIsolated: platform.msiIsolated,
                                      allowUnsafeInterrupts: platform.allowUnsafeInterrupts, backend: platform.backend,
                                      unalignedFixedResources: platform.unalignedFixedResources)
            // As decoded, not normalised by the initialiser: an empty map stays empty.
            facts.hostFacts = platform.hostFacts
            return TopologyCounterexample(
                topology: topology.value, invariant: invariant, policy: policy, policyName: policyName,
                removedClauses: removedClauses, addedClauses: addedClauses, platform: facts, target: target,
                requestOffset: requestOffset, requestLength: requestLength, exposed: exposed.value, foreign: foreign,
                allowedBy: allowedBy,
                view: CounterexampleView(clause: view.clause, foreignKind: view.foreignKind, pageOffsetClass: view.pageOffsetClass))
        }
    }
}
