import Foundation
import Locking

/// What `/healthz` says of the store, written by the engine when it changes and read by the HTTP side (which
/// answers on the transport's thread and cannot wait for the engine actor).
public final class StoreHealthBoard: Sendable {
    /// The store's state as reported.
    public struct Status: Sendable, Equatable {
        /// This process's instance name.
        public var instance: String
        /// `sqlite` or `postgres`.
        public var kind: String
        /// Whether the store answers now.
        public var available = true
        /// Since when it has not answered (Unix milliseconds); nil while available.
        public var unavailableSince: Int64?
        /// Leases this instance holds.
        public var leasesHeld = 0
        /// Whether the bus between instances listens (PostgreSQL); nil without a bus.
        public var busListening: Bool?
    }

    private let status = Mutex<Status?>(nil)

    public init() {}

    /// The current status; nil without a store.
    public var current: Status? { status.withLock { $0 } }

    func update(_ change: (inout Status) -> Void, instance: String, kind: String) {
        status.withLock { value in
            var next = value ?? Status(instance: instance, kind: kind)
            change(&next)
            value = next
        }
    }
}
