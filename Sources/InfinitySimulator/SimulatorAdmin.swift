import Foundation
import Synchronization

/// The simulator's control API under `/_simulator/`: what tests do through Swift calls, by hand with curl.
///
/// ```
/// GET  /_simulator/rooms
/// POST /_simulator/rooms/<alias>/participants      {"display_name":"Ann","role":"guest","muted":false} → {"uuid":…}
/// POST /_simulator/rooms/<alias>/participants/<uuid>/remove | /mute | /unmute | /present | /stop-presenting
/// POST /_simulator/rooms/<alias>/participants/<uuid>/disconnect  {"reason":"…"}
/// POST /_simulator/rooms/<alias>/chat              {"text":"…","from":"Name"}  (or "from_uuid")
/// POST /_simulator/rooms/<alias>/lock | /unlock | /refresh | /drop-streams | /stall-streams | /expire-tokens
/// POST /_simulator/rooms/<alias>/refuse-streams    {"on":true}
/// POST /_simulator/fail-next                       {"endpoint":"refresh_token","status":503,"count":3,"alias":"meet.open"}
/// POST /_simulator/delay-next                      {"endpoint":"lock","ms":3000,"count":1}
/// POST /_simulator/clear-faults                    (forgets pending fail-next and delay-next)
/// POST /_simulator/rooms/<alias>/bench             {"count":10,"interval_ms":500,"burst":1,"size":256}
/// ```
/// `bench` emits chat messages stamped `t_send_ns=<wall-clock ns at emission>`, padded to `size` bytes,
/// `burst` at a time every `interval_ms`, `count` bursts in all.
struct SimulatorAdmin: Sendable {
    static let prefix = "/_simulator/"
    let simulator: InfinitySimulator

    func handle(method: String, path: String, body: [UInt8]) -> (Int, [UInt8]) {
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/").map {
            String($0).removingPercentEncoding ?? String($0)
        }
        let input =
            (try? JSONSerialization.jsonObject(with: Data(body.isEmpty ? Array("{}".utf8) : body))) as? [String: Any]
            ?? [:]
        do {
            switch (method, parts.count, parts.first) {
            case ("GET", 1, "rooms"):
                return ok(["rooms": simulator.configuration.rooms.map { room(alias: $0.alias) }])
            case ("POST", 1, "fail-next"):
                guard let endpoint = input["endpoint"] as? String, let status = input["status"] as? Int else {
                    return bad("fail-next needs endpoint and status")
                }
                simulator.failNext(
                    endpoint: endpoint,
                    status: status,
                    count: input["count"] as? Int ?? 1,
                    alias: input["alias"] as? String
                )
                return ok([:])
            case ("POST", 1, "clear-faults"):
                simulator.clearFaults()
                return ok([:])
            case ("POST", 1, "delay-next"):
                guard let endpoint = input["endpoint"] as? String, let ms = input["ms"] as? Int else {
                    return bad("delay-next needs endpoint and ms")
                }
                simulator.delayNext(
                    endpoint: endpoint,
                    by: .milliseconds(ms),
                    count: input["count"] as? Int ?? 1,
                    alias: input["alias"] as? String
                )
                return ok([:])
            case ("POST", 3, "rooms"):
                return try roomAction(alias: parts[1], action: parts[2], input)
            case ("POST", 5, "rooms") where parts[2] == "participants":
                return try participantAction(alias: parts[1], uuid: parts[3], action: parts[4], input)
            default:
                return (404, json(["error": "unknown control call \(method) \(path)"]))
            }
        } catch {
            return (404, json(["error": "\(error)"]))
        }
    }

    private func roomAction(
        alias: String,
        action: String,
        _ input: [String: Any]
    ) throws(SimulatorError) -> (Int, [UInt8]) {
        switch action {
        case "participants":
            let role: SimulatedRole = (input["role"] as? String) == "host" ? .host : .guest
            let uuid = try simulator.addParticipant(
                alias: alias,
                displayName: input["display_name"] as? String ?? "Guest",
                role: role,
                muted: input["muted"] as? Bool ?? false
            )
            return ok(["uuid": uuid])
        case "chat":
            let text = input["text"] as? String ?? ""
            if let uuid = input["from_uuid"] as? String {
                try simulator.sendChat(alias: alias, fromUUID: uuid, text: text)
            } else {
                try simulator.sendChat(
                    alias: alias,
                    fromDisplayName: input["from"] as? String ?? "Simulator",
                    text: text
                )
            }
        case "lock": try simulator.setLocked(alias: alias, true)
        case "unlock": try simulator.setLocked(alias: alias, false)
        case "refresh": try simulator.requestRefresh(alias: alias)
        case "drop-streams": try simulator.dropEventStreams(alias: alias)
        case "stall-streams": try simulator.stallEventStreams(alias: alias)
        case "expire-tokens": try simulator.expireTokens(alias: alias)
        case "refuse-streams": try simulator.refuseEventStreams(alias: alias, input["on"] as? Bool ?? true)
        case "stage":
            guard simulator.conference(alias: alias) != nil else { throw .unknownRoom(alias) }
            simulator.startStageEmitter(
                alias: alias,
                perSecond: max(0.1, min(input["rate"] as? Double ?? Double(input["rate"] as? Int ?? 10), 1000)),
                duration: .milliseconds(max(1, min(input["seconds"] as? Int ?? 10, 86_400)) * 1000),
                stamped: input["stamped"] as? Bool ?? false
            )
        case "caption":
            try simulator.sendCaption(
                alias: alias,
                text: input["text"] as? String ?? "",
                final: input["final"] as? Bool ?? true
            )
        case "bench":
            guard simulator.participants(alias: alias).isEmpty == false || simulator.conference(alias: alias) != nil
            else {
                throw .unknownRoom(alias)
            }
            simulator.startBenchEmitter(
                alias: alias,
                count: max(1, min(input["count"] as? Int ?? 10, 100_000)),
                interval: .milliseconds(max(1, input["interval_ms"] as? Int ?? 500)),
                burst: max(1, min(input["burst"] as? Int ?? 1, 1000)),
                size: max(32, min(input["size"] as? Int ?? 256, 60_000))
            )
        default:
            return (404, json(["error": "unknown room action \(action)"]))
        }
        return ok([:])
    }

    private func participantAction(
        alias: String,
        uuid: String,
        action: String,
        _ input: [String: Any]
    )
        throws(SimulatorError) -> (Int, [UInt8])
    {
        switch action {
        case "remove": try simulator.removeParticipant(alias: alias, uuid: uuid)
        case "mute": try simulator.setMuted(alias: alias, uuid: uuid, true)
        case "unmute": try simulator.setMuted(alias: alias, uuid: uuid, false)
        case "present": try simulator.setPresenting(alias: alias, uuid: uuid, true)
        case "stop-presenting": try simulator.setPresenting(alias: alias, uuid: uuid, false)
        case "admit": try simulator.admit(alias: alias, uuid: uuid)
        case "raise-hand": try simulator.setHandRaised(alias: alias, uuid: uuid, true)
        case "lower-hand": try simulator.setHandRaised(alias: alias, uuid: uuid, false)
        case "disconnect":
            try simulator.disconnectParticipant(
                alias: alias,
                uuid: uuid,
                reason: input["reason"] as? String ?? "Disconnected by an administrator"
            )
        case "refer":
            guard let target = input["to"] as? String, !target.isEmpty else {
                return (400, json(["error": "refer needs \"to\": the alias to move the participant to"]))
            }
            try simulator.refer(alias: alias, uuid: uuid, to: target)
        default:
            return (404, json(["error": "unknown participant action \(action)"]))
        }
        return ok([:])
    }

    private func room(alias: String) -> [String: Any] {
        let conference = simulator.conference(alias: alias)
        return [
            "alias": alias,
            "locked": conference?.locked ?? false,
            "guests_muted": conference?.guestsMuted ?? false,
            "started": conference?.started ?? true,
            "live_tokens": simulator.liveTokenCount(alias: alias),
            "open_event_streams": simulator.openEventStreams(alias: alias),
            "refresh_count": simulator.refreshCount(alias: alias),
            "dtmf": simulator.dtmfReceived(alias: alias).map {
                ["participant": $0.participantUUID, "digits": $0.digits]
            },
            "participants": simulator.participants(alias: alias).map {
                [
                    "uuid": $0.uuid, "display_name": $0.displayName, "role": $0.role == .host ? "host" : "guest",
                    "muted": $0.isMuted, "presenting": $0.isPresenting, "service_type": $0.serviceType, "api": $0.isAPI,
                ]
            },
        ]
    }

    private func ok(_ object: [String: Any]) -> (Int, [UInt8]) { (200, json(object)) }
    private func bad(_ message: String) -> (Int, [UInt8]) { (400, json(["error": message])) }

    private func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}

extension InfinitySimulator {
    /// Emits stamped chat in a room: `burst` messages every `interval`, `count` times (benchmarks).
    func startBenchEmitter(alias: String, count: Int, interval: Duration, burst: Int, size: Int) {
        let task = Task { [self] in
            let padding = String(repeating: "x", count: size)
            for _ in 0..<count {
                guard !Task.isCancelled else { return }
                for _ in 0..<burst {
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    let stamp = "t_send_ns=\(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)) "
                    let text = stamp + padding.prefix(max(0, size - stamp.utf8.count))
                    try? sendChat(alias: alias, fromDisplayName: "bench", text: text)
                }
                try? await Task.sleep(for: interval)
            }
        }
        adoptBackgroundTask(task)
    }
}
