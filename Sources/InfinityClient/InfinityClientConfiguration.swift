/// Settings for an `InfinityClient`.
public struct InfinityClientConfiguration: Sendable {
    /// Time allowed for one request, from sending to the last body byte (for the event stream: until the response
    /// head).
    public var requestTimeout: Duration = .seconds(10)
    /// Time allowed to open a TCP (and TLS) connection.
    public var connectTimeout: Duration = .seconds(5)
    /// Extra attempts on 502/503/504 for idempotent calls (GETs, request_token, refresh_token, release_token).
    public var retriesForIdempotent: Int = 2
    /// Linear backoff step between those attempts (attempt n waits n × this).
    public var retryBackoff: Duration = .milliseconds(250)
    /// PEM file with extra CA certificates for nodes on a private PKI. Verification always stays on for https.
    public var trustRootsPEMFile: String? = nil
    /// The User-Agent header.
    public var userAgent: String = "pexbridge"
    /// HTTP/1.1 connections allowed per node; each open event stream holds one for its lifetime.
    public var maxConnectionsPerNode: Int = 1024
    /// An open event stream that delivers nothing (no event, no keepalive comment) for this long is taken for a
    /// dead connection (a half-open socket, a proxy that stopped forwarding) and reopened; nil waits forever.
    /// Nodes write a keepalive comment well within this (the simulator every 15 s); a quiet node that writes none
    /// costs one resync (which emits no roster change) per interval.
    public var eventStreamIdleTimeout: Duration? = .seconds(120)
    /// The largest response body accepted for a non-streaming call.
    public var maxResponseBytes: Int = 4 << 20
    /// The largest single event (or line) accepted on an event stream; a bigger one ends the stream (which is
    /// then reopened), so a hostile node cannot make the bridge hold megabytes per event.
    public var maxEventBytes: Int = 256 << 10
    /// Which nodes may be called, judged after DNS resolution (see `NodeAddressPolicy`); a refused node fails
    /// with `InfinityError.nodeNotAllowed` before anything is sent. nil: not enforced (the caller decides; the
    /// bridge sets it from `--allow-insecure-nodes` and `--allow-node`).
    public var nodePolicy: NodeAddressPolicy? = nil
    /// The DNS server (`HOST:PORT`) asked for `_pexapp._tcp` SRV records when a node is found from an alias's
    /// domain; nil: the first nameserver of /etc/resolv.conf.
    public var dnsServer: String? = nil
    /// How long one SRV query may take (`DNSResolver.timeout`).
    public var dnsTimeout: Duration = .seconds(3)
    /// The port tried on the domain itself when its SRV records lead nowhere (443: HTTPS's).
    public var discoveryFallbackPort: Int = 443
    /// Told about every finished request (for metrics): endpoint, outcome and latency. Called on any thread.
    public var requestObserver: (@Sendable (UpstreamRequestRecord) -> Void)?

    /// The defaults above.
    public init() {}

    /// The defaults, with the given settings replaced (each default is the property's own initial value).
    public init(
        requestTimeout: Duration = InfinityClientConfiguration().requestTimeout,
        connectTimeout: Duration = InfinityClientConfiguration().connectTimeout,
        retriesForIdempotent: Int = InfinityClientConfiguration().retriesForIdempotent,
        retryBackoff: Duration = InfinityClientConfiguration().retryBackoff,
        trustRootsPEMFile: String? = InfinityClientConfiguration().trustRootsPEMFile,
        userAgent: String = InfinityClientConfiguration().userAgent
    ) {
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.retriesForIdempotent = retriesForIdempotent
        self.retryBackoff = retryBackoff
        self.trustRootsPEMFile = trustRootsPEMFile
        self.userAgent = userAgent
    }
}

/// One finished request to a node, as `requestObserver` sees it; never carries tokens or PINs.
public struct UpstreamRequestRecord: Sendable {
    /// `request_token`, `refresh_token`, `lock`, `participants/mute`, ...
    public var endpoint: String
    /// `ok` (2xx), `http_<status>`, or the failure: `timeout`, `unreachable`, `cancelled`, `bad_response`.
    public var outcome: String
    public var duration: Duration
}
