// swift-tools-version:6.0
// barproof: proves or refutes the rules by which Linux places PCI BARs and lets vfio-pci mmap them.
// Module import direction (docs/architecture.md): CZ3 <- Z3Kit <- Prover <- Reports <- Commands <- barproof;
// PCIModel <- VFIORules <- Prover; Audit <- Reports. Rules never import Z3; only barproof imports ArgumentParser.
import PackageDescription

// The rules are generic over `Logic` and the audit evaluates them concretely for every BAR of a
// host: without their bodies in the client's reach, each call goes through unspecialized generic
// code (metadata lookups, boxing). Release builds of the modules on that path export their bodies
// (`barproof-bench audit`: 10,000 functions 900 ms without, about 400 ms with).
let specializable: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "barproof",
    products: [
        .executable(name: "barproof", targets: ["barproof"]),
        .library(name: "Z3Kit", targets: ["Z3Kit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CZ3", pkgConfig: "z3", providers: [.apt(["libz3-dev"])]),
        .target(name: "Z3Kit", dependencies: ["CZ3"], exclude: ["README.md"]),
        .target(name: "PCIModel", exclude: ["README.md"], swiftSettings: specializable),
        .target(name: "CSignalPipe", exclude: ["README.md"]),
        .target(name: "VFIORules", dependencies: ["PCIModel"], exclude: ["README.md"], swiftSettings: specializable),
        .target(name: "Prover", dependencies: ["Z3Kit", "VFIORules", "PCIModel"], exclude: ["README.md"]),
        .target(name: "Reports", dependencies: ["Prover", "Audit", "VFIORules", "PCIModel"], exclude: ["README.md"],
                swiftSettings: specializable),
        .target(name: "Audit", dependencies: ["PCIModel", "VFIORules"], exclude: ["README.md"], swiftSettings: specializable),
        .target(name: "Fixtures", dependencies: ["Reports", "Audit", "Prover", "VFIORules", "PCIModel"], exclude: ["README.md"]),
        .target(name: "SpecFiles", dependencies: ["Reports", "Prover", "VFIORules", "PCIModel", .product(name: "Yams", package: "Yams")],
                exclude: ["README.md"]),
        // What the commands do, each behind one function the executable calls (no ArgumentParser).
        .target(name: "Commands",
                dependencies: ["Z3Kit", "PCIModel", "VFIORules", "Prover", "Reports", "Audit", "Fixtures", "SpecFiles", "CSignalPipe",
                               .product(name: "Yams", package: "Yams")],
                exclude: ["README.md"]),
        .executableTarget(
            name: "barproof",
            dependencies: [
                "Commands", "Z3Kit", "PCIModel", "Reports", "SpecFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]),
        .executableTarget(name: "barproof-bench", dependencies: ["Prover", "VFIORules", "PCIModel", "Audit", "Reports", "SpecFiles"],
                          path: "Sources/Benchmarks", exclude: ["README.md"]),
        // What the test targets share: `ProgramRun`, the one way a test launches a program (with a
        // kill deadline), and the check that every suite has a time limit. Foundation only.
        .target(name: "TestSupport", exclude: ["README.md"]),
        .testTarget(name: "Z3KitTests", dependencies: ["Z3Kit", "CZ3", "TestSupport"]),
        .testTarget(name: "PCIModelTests", dependencies: ["PCIModel", "TestSupport"]),
        .testTarget(
            name: "VFIORulesTests",
            dependencies: [
                "VFIORules", "PCIModel", "Prover", "Z3Kit", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(name: "CLITests", dependencies: ["Reports", "TestSupport"], exclude: ["Schemas"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "PCIModel", "VFIORules", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "FixtureTests", dependencies: ["Fixtures", "Reports", "Audit", "Prover", "VFIORules", "PCIModel",
                                                      "Z3Kit", "TestSupport"]),
        .testTarget(name: "ProverTests", dependencies: ["Prover", "VFIORules", "PCIModel", "Z3Kit", "SpecFiles", "TestSupport"]),
    ]
)
