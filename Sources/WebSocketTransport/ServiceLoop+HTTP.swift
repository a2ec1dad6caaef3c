import CLibWebSockets

extension ServiceLoop {
    /// Headers copied into ``HTTPRequest/headers``.
    private static let requestHeaders: [lws_token_indexes] = [
        WSI_TOKEN_HOST, WSI_TOKEN_ORIGIN, WSI_TOKEN_HTTP_ACCEPT, WSI_TOKEN_HTTP_USER_AGENT,
        WSI_TOKEN_HTTP_ACCEPT_ENCODING, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE, WSI_TOKEN_HTTP_AUTHORIZATION,
        WSI_TOKEN_HTTP_CONTENT_TYPE, WSI_TOKEN_HTTP_CONTENT_LENGTH, WSI_TOKEN_HTTP_COOKIE,
        WSI_TOKEN_HTTP_REFERER, WSI_TOKEN_HTTP_IF_NONE_MATCH, WSI_TOKEN_HTTP_IF_MODIFIED_SINCE,
        WSI_TOKEN_HTTP_CACHE_CONTROL, WSI_TOKEN_CONNECTION, WSI_TOKEN_X_FORWARDED_FOR,
        WSI_TOKEN_HTTP_RANGE,
    ]

    private static let methodNames = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD"]

    /// A plain HTTP request's headers are complete.
    func httpRequest(
        _ wsi: OpaquePointer,
        user: UnsafeMutableRawPointer?,
        uri: UnsafeMutableRawPointer?,
        length: Int
    ) -> Int32 {
        guard let user else { return -1 }
        if let refusal = edgeRefusal(wsi) {
            _ = writeRefusal(wsi, status: refusal.status, reason: refusal.reason)
            return -1
        }
        var uriPointer: UnsafeMutablePointer<CChar>?
        var uriLength: Int32 = 0
        let methodIndex = Int(lws_http_get_uri_and_method(wsi, &uriPointer, &uriLength))
        let method = Self.methodNames.indices.contains(methodIndex) ? Self.methodNames[methodIndex] : "GET"
        let path =
            uri.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? "/"
        var headers: [String: String] = [:]
        for token in Self.requestHeaders {
            guard let value = header(wsi, token), let name = headerName(token) else { continue }
            headers[name] = value
        }
        // Refused at the headers, before any body byte is read or buffered.
        guard configuration.httpMethods.contains(method) else {
            let allowed = configuration.httpMethods.sorted().joined(separator: ", ")
            _ = writeRefusal(wsi, status: 405, reason: "method not allowed", extra: [("Allow", allowed)])
            return -1
        }
        let declaredBody = Int(headers["content-length"] ?? "") ?? 0
        guard declaredBody <= configuration.maxRequestBodyBytes else {
            _ = writeRefusal(wsi, status: 413, reason: "request body too large")
            return -1
        }
        let request = HTTPRequest(
            method: method,
            path: path,
            query: query(wsi),
            headers: headers,
            peerAddress: clientAddress(wsi)
        )
        let expectedBody = ["POST", "PUT", "PATCH"].contains(method) ? declaredBody : 0
        let key = nextKey()
        ConnectionSlot.setKey(user, key)
        let exchange = HTTPExchange(request: request, expectedBodyBytes: expectedBody)
        exchanges[key] = exchange
        if expectedBody > 0 {
            exchange.request.body.reserveCapacity(expectedBody)
            return 0  // answered at HTTP_BODY_COMPLETION
        }
        return respond(wsi, user: user, exchange: exchange)
    }

    /// A piece of a request body.
    func httpBody(
        _ wsi: OpaquePointer,
        user: UnsafeMutableRawPointer?,
        data: UnsafeMutableRawPointer?,
        length: Int
    ) -> Int32 {
        guard let exchange = exchange(for: user), let data else { return 0 }
        guard exchange.request.body.count + length <= configuration.maxRequestBodyBytes else {
            dropExchange(user: user)
            _ = writeRefusal(wsi, status: 413, reason: "request body too large")
            return -1
        }
        exchange.request.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return 0
    }

    /// The request body is complete.
    func httpBodyComplete(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer?) -> Int32 {
        guard let user, let exchange = exchange(for: user), exchange.response == nil else { return 0 }
        return respond(wsi, user: user, exchange: exchange)
    }

    /// Asks the handler and writes the response headers; the body follows in writeable callbacks.
    private func respond(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer, exchange: HTTPExchange) -> Int32 {
        counters.httpRequests.add(1)
        let response = httpHandler(exchange.request)
        guard
            writeHeaders(
                wsi,
                status: response.status,
                contentType: response.contentType,
                contentLength: response.body.count,
                extra: response.headers
            )
        else { return -1 }
        if exchange.request.method == "HEAD" || response.body.isEmpty {
            return completeTransaction(wsi, user: user)
        }
        exchange.response = response
        lws_callback_on_writable(wsi)
        return 0
    }

    /// Writes the next body chunk.
    func httpWriteable(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer?) -> Int32 {
        guard let user, let exchange = exchange(for: user), let response = exchange.response else { return 0 }
        let chunk = min(Self.httpChunkBytes, response.body.count - exchange.bodyOffset)
        let isLast = exchange.bodyOffset + chunk == response.body.count
        let start = scratch + pb_lws_pre()
        response.body.withUnsafeBytes { body in
            start.copyMemory(from: body.baseAddress! + exchange.bodyOffset, byteCount: chunk)
        }
        let written = lws_write(
            wsi,
            start.assumingMemoryBound(to: UInt8.self),
            chunk,
            isLast ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP
        )
        guard written >= chunk else { return -1 }
        exchange.bodyOffset += chunk
        if isLast {
            return completeTransaction(wsi, user: user)
        }
        lws_callback_on_writable(wsi)
        return 0
    }

    /// Forgets an exchange (response done, connection closed or upgraded).
    func dropExchange(user: UnsafeMutableRawPointer?) {
        guard let user else { return }
        let key = ConnectionSlot.key(user)
        guard key != 0, exchanges.removeValue(forKey: key) != nil else { return }
        ConnectionSlot.setKey(user, 0)
    }

    private func completeTransaction(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer) -> Int32 {
        dropExchange(user: user)
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
    }

    private func exchange(for user: UnsafeMutableRawPointer?) -> HTTPExchange? {
        guard let user else { return nil }
        return exchanges[ConnectionSlot.key(user)]
    }

    /// Writes a status line and headers (nothing else); false when they do not fit or the write fails.
    func writeHeaders(
        _ wsi: OpaquePointer,
        status: Int,
        contentType: String,
        contentLength: Int,
        extra: [(String, String)]
    ) -> Bool {
        let start = (scratch + pb_lws_pre()).assumingMemoryBound(to: UInt8.self)
        let end = start + Self.httpHeaderBytes
        var position: UnsafeMutablePointer<UInt8>? = start
        guard
            lws_add_http_common_headers(
                wsi,
                UInt32(clamping: status),
                contentType,
                lws_filepos_t(contentLength),
                &position,
                end
            ) == 0
        else { return false }
        for (name, value) in extra {
            guard Self.isSafeHeader(name), Self.isSafeHeader(value), !name.isEmpty else { continue }
            let nameBytes = Array((name.lowercased() + ":").utf8) + [0]
            let valueBytes = Array(value.utf8)
            let failed = nameBytes.withUnsafeBufferPointer { namePointer in
                valueBytes.withUnsafeBufferPointer { valuePointer in
                    lws_add_http_header_by_name(
                        wsi,
                        namePointer.baseAddress,
                        valuePointer.baseAddress ?? namePointer.baseAddress,
                        Int32(valuePointer.count),
                        &position,
                        end
                    )
                }
            }
            guard failed == 0 else { return false }
        }
        return lws_finalize_write_http_header(wsi, start, &position, end) == 0
    }

    /// A refusal written byte for byte: status line in the request's own HTTP version (lws would answer an
    /// upgrade request with "HTTP/1.0", which WebSocket clients reject as invalid), a plain-text reason, its
    /// length and `Connection: close`. The caller hangs up afterwards.
    func writeRefusal(_ wsi: OpaquePointer, status: Int, reason: String, extra: [(String, String)] = []) -> Bool {
        let version = header(wsi, WSI_TOKEN_HTTP).map { $0.hasPrefix("HTTP/1.1") } == true ? "HTTP/1.1" : "HTTP/1.0"
        let body = Array((reason + "\n").utf8)
        let head =
            "\(version) \(status) \(Self.reasonPhrase(status))\r\n"
            + "Server: pexbridge\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Cache-Control: no-store\r\n"
            + extra.map { "\($0.0): \($0.1)\r\n" }.joined()
            + "Connection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        guard bytes.count <= scratchCapacity else { return false }
        let start = scratch + pb_lws_pre()
        bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return lws_write(wsi, start.assumingMemoryBound(to: UInt8.self), bytes.count, LWS_WRITE_HTTP_FINAL)
            >= bytes.count
    }

    /// Reason phrases of the statuses the transport answers on its own.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 421: "Misdirected Request"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Error"
        }
    }

    private static func isSafeHeader(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }

    /// The query string: lws splits it at "&" and ";" and percent-decodes each parameter.
    private func query(_ wsi: OpaquePointer) -> String? {
        guard lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > 0 else { return nil }
        var parts: [String] = []
        var index: Int32 = 0
        while let part = headerFragment(wsi, WSI_TOKEN_HTTP_URI_ARGS, index: index) {
            parts.append(part)
            index += 1
        }
        return parts.joined(separator: "&")
    }

    private func headerFragment(_ wsi: OpaquePointer, _ token: lws_token_indexes, index: Int32) -> String? {
        let length = lws_hdr_fragment_length(wsi, token, index)
        guard length >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let copied = lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), token, index)
        guard copied >= 0 else { return nil }
        return String(decoding: buffer[..<Int(copied)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func headerName(_ token: lws_token_indexes) -> String? {
        guard let raw = lws_token_to_string(token) else { return nil }
        var name = String(cString: raw).lowercased()
        if name.hasSuffix(":") { name.removeLast() }
        return name
    }
}

extension ServiceLoop {
    /// A request header's whole value, or nil when absent.
    func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = lws_hdr_total_length(wsi, token)
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let copied = lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token)
        guard copied >= 0 else { return nil }
        return String(decoding: buffer[..<Int(copied)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The peer's IP address; IPv4-mapped IPv6 addresses are shown as IPv4.
    func peerAddress(_ wsi: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = lws_get_peer_simple(wsi, &buffer, buffer.count - 1)
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        let address = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if address.hasPrefix("::ffff:"), address.contains(".") {
            return String(address.dropFirst(7))
        }
        return address
    }
}
