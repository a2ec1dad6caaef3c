/// A plain HTTP request (not a WebSocket upgrade) handed to the server's HTTP handler.
public struct HTTPRequest: Sendable {
    /// Method in upper case: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.
    public var method: String
    /// Path without the query, percent-decoded and normalised by libwebsockets ("/a/../b" is "/b").
    public var path: String
    /// Query string without "?", its parameters percent-decoded and joined with "&"; nil when absent.
    public var query: String?
    /// Request headers by lower-case name (host, origin, accept, user-agent and other common ones).
    public var headers: [String: String]
    /// Peer IP address.
    public var peerAddress: String
    /// Request body (POST, PUT, PATCH when ``TransportConfiguration/httpMethods`` lets them through), at most
    /// ``TransportConfiguration/maxRequestBodyBytes``.
    public var body: [UInt8]

    /// The default of ``TransportConfiguration/maxRequestBodyBytes``.
    public static let maxBodyBytes = 1 << 20

    /// Creates a request value.
    public init(
        method: String,
        path: String,
        query: String? = nil,
        headers: [String: String] = [:],
        peerAddress: String,
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.peerAddress = peerAddress
        self.body = body
    }
}
