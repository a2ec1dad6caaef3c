import Foundation
import Locking
import Logging
import PostgresNIO

/// How the instances on one store talk: events for other instances' subscribers, requests forwarded to a
/// session's holder and their answers.
///
/// On PostgreSQL this is LISTEN/NOTIFY on one channel: no extra service to run, and the notification is delivered
/// by the same server that holds the sessions (measured in the README: an event reaches another instance's
/// subscribers a millisecond or two after the holder's own). Everything on the bus is sealed with the store key
/// (AES-GCM), so a forwarded `pin` never crosses the database in the clear, and a body too large for a
/// notification (8000 bytes) goes through a table, its notification only naming the row.
public protocol StoreBus: Sendable {
    /// Sends `body` to one instance, or to every instance (this one included) when `instance` is nil.
    /// - Parameters:
    ///   - body: the message.
    ///   - instance: the recipient's name, or nil for all.
    func post(_ body: [UInt8], to instance: String?) async throws

    /// What reaches this instance. ``BusDelivery/listening`` comes first and again after every reconnect (what was
    /// posted while not listening was missed); ``BusDelivery/lost(_:)`` when listening stopped. One consumer.
    var deliveries: AsyncStream<BusDelivery> { get }

    /// Stops listening; ``deliveries`` finishes.
    func close() async
}

/// One thing the bus reports.
public enum BusDelivery: Sendable, Equatable {
    /// Listening (again): anything posted before may have been missed.
    case listening
    /// Not listening any more; the bus tries again by itself.
    case lost(String)
    /// A message from instance `from`.
    case message(from: String, body: [UInt8])
}

/// The bus over PostgreSQL's LISTEN/NOTIFY: one dedicated connection listens (reconnecting after a second when
/// it drops), notifications are sent through the store's pool.
final class PostgresBus: StoreBus {
    /// The one channel every instance listens on.
    static let channel = "pexbridge_bus"
    /// A notification's payload must stay under PostgreSQL's 8000 bytes.
    static let inlineLimit = 7_800
    /// How long a large message stays in `pexbridge_mail` for its recipients to read.
    static let mailLifetime: Duration = .seconds(60)

    let instance: String
    let key: StoreKey
    let driver: PostgresDriver
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let deliveries: AsyncStream<BusDelivery>
    private let continuation: AsyncStream<BusDelivery>.Continuation
    private let listener = Mutex<Task<Void, Never>?>(nil)

    init(
        instance: String,
        key: StoreKey,
        driver: PostgresDriver,
        configuration: PostgresConnection.Configuration,
        logger: Logger
    ) {
        self.instance = instance
        self.key = key
        self.driver = driver
        self.configuration = configuration
        self.logger = logger
        (deliveries, continuation) = AsyncStream.makeStream(of: BusDelivery.self, bufferingPolicy: .unbounded)
        // The listener is owned by the bus and ends in `close()`; it feeds `deliveries` meanwhile.
        let task = Task { [configuration, logger, continuation] in
            await Self.listen(configuration: configuration, logger: logger) { payload in
                await self.receive(payload, into: continuation)
            } status: { status in
                continuation.yield(status)
            }
        }
        listener.withLock { $0 = task }
    }

    func post(_ body: [UInt8], to instance: String?) async throws {
        let header = Array("\(instance ?? "")\n\(self.instance)\n".utf8)
        let sealed = try key.seal(header + body, context: Self.channel)
        var payload = Data(sealed).base64EncodedString()
        if payload.utf8.count > Self.inlineLimit {
            let now = StoreTime.now()
            let rows = try await driver.query(
                "INSERT INTO pexbridge_mail (created, body) VALUES ($1, $2) RETURNING id",
                [.integer(now.milliseconds), .blob(sealed)]
            )
            guard let id = rows.first?.first?.integer else { throw StoreError.corrupt("mail without an id") }
            payload = "#\(id)"
            _ = try await driver.query(
                "DELETE FROM pexbridge_mail WHERE created < $1",
                [.integer((now - Self.mailLifetime).milliseconds)]
            )
        }
        _ = try await driver.query("SELECT pg_notify($1, $2)", [.text(Self.channel), .text(payload)])
    }

    func close() async {
        let task = listener.withLock { $0 }
        task?.cancel()
        await task?.value
        continuation.finish()
    }

    /// Opens a payload: inline, or the mail row it names (read through the pool before the next notification,
    /// so messages keep their order).
    private func receive(_ payload: String, into continuation: AsyncStream<BusDelivery>.Continuation) async {
        if payload.hasPrefix("#"), let id = Int64(payload.dropFirst()) {
            let rows = try? await driver.query("SELECT body FROM pexbridge_mail WHERE id = $1", [.integer(id)])
            guard let sealed = rows?.first?.first?.blob else {
                logger.warning("store bus: a large message was gone before it was read", metadata: ["id": "\(id)"])
                return
            }
            return open(sealed, into: continuation)
        }
        guard let sealed = Data(base64Encoded: payload) else {
            logger.warning("store bus: a notification that is not ours was ignored")
            return
        }
        open(Array(sealed), into: continuation)
    }

    private func open(_ sealed: [UInt8], into continuation: AsyncStream<BusDelivery>.Continuation) {
        guard let plain = key.open(sealed, context: Self.channel) else {
            logger.warning("store bus: a message that does not open with the store key was ignored")
            return
        }
        // "to\nfrom\n" then the body.
        guard let first = plain.firstIndex(of: 0x0A),
            let second = plain[(first + 1)...].firstIndex(of: 0x0A)
        else { return }
        let to = String(decoding: plain[..<first], as: UTF8.self)
        guard to.isEmpty || to == instance else { return }
        let from = String(decoding: plain[(first + 1)..<second], as: UTF8.self)
        continuation.yield(.message(from: from, body: Array(plain[(second + 1)...])))
    }

    /// Listens until cancelled: a dedicated connection (a pooled one would be handed to other queries), opened
    /// again a second after it drops.
    private static func listen(
        configuration: PostgresConnection.Configuration,
        logger: Logger,
        payload: @escaping @Sendable (String) async -> Void,
        status: @escaping @Sendable (BusDelivery) -> Void
    ) async {
        var connectionID = 1_000
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration,
                    id: connectionID,
                    logger: logger
                )
                do {
                    try await connection.listen(on: channel) { notifications in
                        status(.listening)
                        for try await notification in notifications { await payload(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
                if !Task.isCancelled { status(.lost("the listening connection ended")) }
            } catch {
                if Task.isCancelled { return }
                status(.lost(PostgresDriver.reason(error)))
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
