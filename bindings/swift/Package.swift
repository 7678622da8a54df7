// swift-tools-version:5.5
// The Swift package over the C library: CVidkompy is the C API as a module (found through
// pkg-config: install the library with `cargo cinstall`, see README "Linking"); Vidkompy wraps it
// in classes that free their handle in deinit and throw the call's status and message.
import PackageDescription

let package = Package(
    name: "Vidkompy",
    products: [.library(name: "Vidkompy", targets: ["Vidkompy"])],
    targets: [
        .systemLibrary(name: "CVidkompy", path: "Sources/CVidkompy", pkgConfig: "vidkompy"),
        .target(name: "Vidkompy", dependencies: ["CVidkompy"], path: "Sources/Vidkompy"),
    ]
)
