import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameServer
import SesameTestSupport
import Testing

/// The hand-written OpenAPI document (one file, compiled in) matches the router, route for route, and is served.
@Suite struct OpenAPIDocumentTests {
    /// Routes documented before the code that serves them has landed on this branch. Each must
    /// *not* be routed yet: when it is, this test fails so that the entry is removed here.
    static let documentedButNotYetRouted: Set<String> = []

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    func documentedRoutes() throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any]
        let paths = try #require(object?["paths"] as? [String: [String: Any]])
        var routes: Set<String> = []
        for (path, item) in paths {
            for key in item.keys where Self.methods.contains(key) { routes.insert("\(key.uppercased()) \(path)") }
        }
        return routes
    }

    func routedRoutes() async throws -> Set<String> {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        return Set(h.router().routes.map { "\($0.method) \($0.path.description.hasPrefix("/") ? "" : "/")\($0.path)" })
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let documented = try documentedRoutes()
        let routed = try await routedRoutes()
        #expect(routed.count >= 15, "the router lists too few routes: \(routed.sorted())")
        let undocumented = routed.subtracting(documented)
        #expect(undocumented.isEmpty, "routes missing from the OpenAPI document: \(undocumented.sorted())")
        let unrouted = documented.subtracting(routed).subtracting(Self.documentedButNotYetRouted)
        #expect(unrouted.isEmpty, "documented routes the router does not serve: \(unrouted.sorted())")
        let landed = Self.documentedButNotYetRouted.intersection(routed)
        #expect(landed.isEmpty, "now routed, remove from documentedButNotYetRouted: \(landed.sorted())")
    }

    /// The compiled-in document is the one file in the source tree (a resource, not a copy).
    @Test func theServedDocumentIsTheSourceFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SesameServer/openapi.json")
        #expect(try Array(Data(contentsOf: file)) == OpenAPIDocument.bytes)
        let info = try #require((try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes)) as? [String: Any])?["info"] as? [String: Any])
        #expect(info["version"] as? String == SesameVersion.current, "the document's info.version is the release")
    }

    @Test func theDocumentIsServedAsOpenAPI31() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await Application(router: h.router()).test(.router) { client in
            let r = try await DialectClient(client).send(.get, "/openapi.json")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(r.json["openapi"] as? String == "3.1.0")
            #expect(r.text == OpenAPIDocument.json)
        }
    }
}
