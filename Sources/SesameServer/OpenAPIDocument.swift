/// The OpenAPI 3.1 document of every route, served at `GET /openapi.json`.
///
/// Hand-written, in one file: `Sources/SesameServer/openapi.json`, compiled into the binary as a
/// package resource (`.embedInCode`), so that the server needs no files at run time. Edit and
/// validate that file (`openapi-spec-validator Sources/SesameServer/openapi.json`);
/// `OpenAPIDocumentTests` fails when a route exists that the document lacks, or the reverse.
public enum OpenAPIDocument {
    /// The document's bytes, as compiled in.
    public static let bytes: [UInt8] = PackageResources.openapi_json

    /// The document as text.
    public static var json: String { String(decoding: bytes, as: UTF8.self) }
}
