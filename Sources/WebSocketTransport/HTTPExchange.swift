/// Service-thread state of one plain HTTP request and its response.
final class HTTPExchange {
    var request: HTTPRequest
    /// Content-Length announced by the client, when a body is expected.
    let expectedBodyBytes: Int
    /// Set once the headers are written; the body follows in writeable callbacks.
    var response: HTTPResponse?
    var bodyOffset = 0

    init(request: HTTPRequest, expectedBodyBytes: Int) {
        self.request = request
        self.expectedBodyBytes = expectedBodyBytes
    }
}
