/// The answer to an ``HTTPRequest``.
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Content-Type header value.
    public var contentType: String
    /// Body bytes (not sent for HEAD requests).
    public var body: [UInt8]
    /// Extra headers as (name, value); names and values holding CR or LF are skipped.
    public var headers: [(String, String)]

    /// Creates a response from its parts.
    public init(status: Int = 200, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A UTF-8 plain-text response.
    public init(text: String, status: Int = 200, headers: [(String, String)] = []) {
        self.init(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), headers: headers)
    }

    /// A JSON response from already encoded text.
    public init(json: String, status: Int = 200, headers: [(String, String)] = []) {
        self.init(json: Array(json.utf8), status: status, headers: headers)
    }

    /// A JSON response from already encoded bytes.
    public init(json: [UInt8], status: Int = 200, headers: [(String, String)] = []) {
        self.init(status: status, contentType: "application/json", body: json, headers: headers)
    }

    /// 404 with a short text body.
    public static var notFound: HTTPResponse { HTTPResponse(text: "not found\n", status: 404) }
}
