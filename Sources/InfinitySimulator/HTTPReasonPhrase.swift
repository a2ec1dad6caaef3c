/// Standard reason phrases for the statuses the simulator may be told to answer with.
enum HTTPReasonPhrase {
    /// The phrase for `code`, or "Error <code>" for an unusual one.
    static func phrase(for code: Int) -> String {
        switch code {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 529: "Site is overloaded"
        default: "Error \(code)"
        }
    }
}
