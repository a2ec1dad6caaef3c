import CLibWebSockets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C memory that libwebsockets keeps pointers to for the whole life of a context: the protocol
/// table, the keepalive policy and every string in the creation info. Freed after the context.
final class ContextResources {
    /// Largest WebSocket payload chunk per RECEIVE callback (as in the plain-C broadcaster).
    static let receiveChunkBytes = 4096

    private var strings: [UnsafeMutablePointer<CChar>] = []
    private let protocols: UnsafeMutablePointer<lws_protocols>
    private let retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>

    init(configuration: TransportConfiguration) {
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        retryPolicy = .allocate(capacity: 1)
        retryPolicy.initialize(to: Self.keepalivePolicy(configuration))
        protocols[0].name = cString(configuration.subprotocol)
        protocols[0].callback = libWebSocketsCallback
        protocols[0].per_session_data_size = ConnectionSlot.size
        protocols[0].rx_buffer_size = Self.receiveChunkBytes
    }

    deinit {
        for string in strings { free(string) }
        protocols.deinitialize(count: 2)
        protocols.deallocate()
        retryPolicy.deinitialize(count: 1)
        retryPolicy.deallocate()
    }

    /// Creation info for one context with one vhost ("default") listening as configured.
    func creationInfo(
        configuration: TransportConfiguration,
        user: UnsafeMutableRawPointer
    ) -> lws_context_creation_info {
        var info = lws_context_creation_info()
        let listen = ListenAddress(host: configuration.host)
        info.port = Int32(configuration.port)
        info.iface = listen.interface.map(cString)
        info.protocols = UnsafePointer(protocols)
        info.user = user
        info.retry_and_idle_policy = UnsafePointer(retryPolicy)
        info.server_string = cString("pexbridge")
        info.options = pb_lws_option_validate_utf8() | pb_lws_option_fail_unable_to_bind()
        if !listen.ipv6 {
            info.options |= pb_lws_option_disable_ipv6()
        }
        if let tls = configuration.tls {
            info.options |= pb_lws_option_ssl_global_init()
            info.ssl_cert_filepath = cString(tls.certificatePath)
            info.ssl_private_key_filepath = cString(tls.privateKeyPath)
            // HTTP/1.1 only: WebSocket upgrades and the HTTP handler stay on one code path.
            info.alpn = cString("http/1.1")
        }
        return info
    }

    private func cString(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return UnsafePointer(copy)
    }

    /// lws pings after `secs_since_valid_ping` without a valid pong and hangs up at `secs_since_valid_hangup`.
    private static func keepalivePolicy(_ configuration: TransportConfiguration) -> lws_retry_bo_t {
        var policy = lws_retry_bo_t()
        let ping = configuration.pingInterval.map(seconds)
        let idle = configuration.idleTimeout.map(seconds)
        switch (ping, idle) {
        case (nil, nil):
            policy.secs_since_valid_hangup = 0  // no validity timer at all
        case (let ping?, nil):
            policy.secs_since_valid_ping = ping
            policy.secs_since_valid_hangup = UInt16.max
        case (nil, let idle?):
            // Hang up without pinging: lws skips the ping when ping >= hangup.
            policy.secs_since_valid_ping = idle
            policy.secs_since_valid_hangup = idle
        case (let ping?, let idle?):
            policy.secs_since_valid_ping = ping
            policy.secs_since_valid_hangup = max(idle, ping &+ 1)
        }
        return policy
    }

    private static func seconds(_ duration: Duration) -> UInt16 {
        let whole = duration.components.seconds
        return UInt16(clamping: max(1, whole))
    }
}

/// How a configured host maps onto lws's `iface` and IPv6 switch.
struct ListenAddress {
    /// Address literal or interface name for lws; nil binds every interface.
    let interface: String?
    /// Whether the listen socket is IPv6 (dual-stack when `interface` is nil).
    let ipv6: Bool

    init(host: String) {
        switch host {
        case "", "0.0.0.0":
            interface = nil
            ipv6 = false
        case "::", "[::]":
            interface = nil
            ipv6 = true
        default:
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            interface = bare
            ipv6 = Self.isIPv6Literal(bare)
        }
    }

    static func isIPv6Literal(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    static func isIPv4Literal(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }
}
