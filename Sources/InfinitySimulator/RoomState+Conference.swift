import Foundation

/// What a room keeps for the whole conference besides its roster.
struct StageState: Sendable {
    /// The layouts `available_layouts` offers (Pexip's names).
    static let layouts = ["1:0", "1:7", "1:21", "2:21", "1:33", "4:0", "9:0", "16:0", "25:0", "5:7", "ac"]

    var layout = "1:7"
    var hostLayout = "1:7"
    var guestLayout = "1:7"
    var overlayTextEnabled = true
    /// DTMF digits sent to participants, oldest first (at most `keptRecords`).
    var dtmf: [DTMFRecord] = []
    /// Dial-outs, oldest first (at most `keptRecords`).
    var dials: [DialRecord] = []
    /// Transfers out of this room, oldest first (at most `keptRecords`).
    var transfers: [TransferRecord] = []

    static let keptRecords = 1000
}

/// DTMF the node was asked to send (`participants/<uuid>/dtmf`).
public struct DTMFRecord: Sendable, Hashable {
    public var participantUUID: String
    public var digits: String

    /// - Parameters:
    ///   - participantUUID: Who the digits were sent to.
    ///   - digits: The digits.
    public init(participantUUID: String, digits: String) {
        self.participantUUID = participantUUID
        self.digits = digits
    }
}

/// A dial-out (`dial`).
public struct DialRecord: Sendable, Hashable {
    public var destination: String
    public var protocolName: String
    public var role: SimulatedRole
    public var streaming: Bool
    /// The participants it added.
    public var participantUUIDs: [String]
}

/// A participant moved to another room (`participants/<uuid>/transfer`). Whether a PIN came with it is kept,
/// never the PIN.
public struct TransferRecord: Sendable, Hashable {
    public var participantUUID: String
    public var toAlias: String
    public var role: SimulatedRole
    public var pinGiven: Bool
}

/// The room's layout as tests read it.
public struct LayoutInfo: Sendable, Hashable {
    public var layout: String
    public var hostLayout: String
    public var guestLayout: String
    public var overlayTextEnabled: Bool
}

struct TransformBody: Decodable {
    struct Transforms: Decodable {
        let layout: String?
        let host_layout: String?
        let guest_layout: String?
        let enable_overlay_text: Bool?
    }
    let transforms: Transforms
}

struct RoleBody: Decodable {
    let role: String
}

struct TextBody: Decodable {
    let text: String
}

struct DigitsBody: Decodable {
    let digits: String
}

struct DialBody: Decodable {
    let destination: String
    let `protocol`: String
    let role: String?
    let remote_display_name: String?
    let streaming: String?
}

struct TransferBody: Decodable {
    let conference_alias: String
    let role: String?
    let pin: String?
}

extension StageState {
    mutating func keep<T>(_ record: T, in list: WritableKeyPath<StageState, [T]>) {
        self[keyPath: list].append(record)
        if self[keyPath: list].count > Self.keptRecords { self[keyPath: list].removeFirst() }
    }
}

/// Hands, roles, video, layouts, dial-out, DTMF and captions in one room.
extension RoomState {
    static let illegalValue = "Illegal value"

    var layoutInfo: LayoutInfo {
        LayoutInfo(
            layout: stage.layout,
            hostLayout: stage.hostLayout,
            guestLayout: stage.guestLayout,
            overlayTextEnabled: stage.overlayTextEnabled
        )
    }

    /// The `layout` event as the node sends it.
    var layoutEvent: ServerEvent {
        let requested: JSONValue = .object([
            (
                "primary_screen",
                .object([("chair_layout", .string(stage.hostLayout)), ("guest_layout", .string(stage.guestLayout))])
            )
        ])
        return ServerEvent(
            name: "layout",
            data: .object([
                ("view", .string(stage.layout)),
                ("participants", .array(roster.filter { !$0.isAPI }.prefix(8).map { .string($0.uuid) })),
                ("requested_layout", requested),
                ("overlay_text_enabled", .bool(stage.overlayTextEnabled)),
            ])
        )
    }

    /// `transform_layout`: every named layout must be one of `available_layouts`, else 400 "Illegal value".
    mutating func transformLayout(_ body: [UInt8], now: ContinuousClock.Instant) -> APIAnswer {
        guard let t = JSONDecoder.decodeIfValid(TransformBody.self, from: body)?.transforms else {
            return .failed(400, "transforms is required")
        }
        for name in [t.layout, t.host_layout, t.guest_layout].compactMap({ $0 })
        where !StageState.layouts.contains(name) {
            return .failed(400, Self.illegalValue)
        }
        if let layout = t.layout {
            stage.layout = layout
            stage.hostLayout = layout
            stage.guestLayout = layout
        }
        if let host = t.host_layout { stage.hostLayout = host }
        if let guest = t.guest_layout { stage.guestLayout = guest }
        if t.layout == nil, let host = t.host_layout { stage.layout = host }
        if let overlay = t.enable_overlay_text { stage.overlayTextEnabled = overlay }
        broadcast(layoutEvent, now: now)
        return .success(.bool(true))
    }

    /// `clearallbuzz`: every raised hand goes down.
    mutating func clearAllBuzz(now: ContinuousClock.Instant) {
        for uuid in roster.filter({ $0.buzzTime != 0 }).map(\.uuid) {
            update(uuid, now: now) { $0.buzzTime = 0 }
        }
    }

    /// `clearspotlights`: every spotlight goes off.
    mutating func clearSpotlights(now: ContinuousClock.Instant) {
        for uuid in roster.filter({ $0.spotlight != 0 }).map(\.uuid) {
            update(uuid, now: now) { $0.spotlight = 0 }
        }
    }

    /// `dial`: adds the called participant to the roster (call direction `out`); the result lists its uuid.
    mutating func dial(_ body: [UInt8], now: ContinuousClock.Instant, wallClock: Double) -> APIAnswer {
        guard let dial = JSONDecoder.decodeIfValid(DialBody.self, from: body), !dial.destination.isEmpty else {
            return .failed(400, "destination is required")
        }
        let known = ["sip", "h323", "rtmp", "mssip", "auto"]
        guard known.contains(dial.protocol) else { return .failed(400, Self.illegalValue) }
        let role: SimulatedRole
        switch dial.role?.uppercased() {
        case "HOST": role = .host
        case "GUEST", nil: role = .guest
        default: return .failed(400, Self.illegalValue)
        }
        let streaming = dial.streaming?.lowercased() == "yes"
        let protocolName =
            dial.protocol == "auto" ? (dial.destination.hasPrefix("rtmp") ? "rtmp" : "sip") : dial.protocol
        var record = ParticipantRecord.scripted(
            ScriptedParticipant(
                displayName: dial.remote_display_name ?? dial.destination,
                role: role,
                protocolName: protocolName
            ),
            localAlias: config.alias,
            now: wallClock
        )
        record.callDirection = "out"
        record.isStreaming = streaming || protocolName == "rtmp"
        record.dialledURI = dial.destination
        let joined = join(record, now: now)
        stage.keep(
            DialRecord(
                destination: dial.destination,
                protocolName: protocolName,
                role: role,
                streaming: record.isStreaming,
                participantUUIDs: [joined.uuid]
            ),
            in: \.dials
        )
        return .success(.array([.string(joined.uuid)]))
    }

    /// A whole-conference control on one participant (known to exist); nil when `action` is not one.
    mutating func conferenceParticipantControl(
        _ action: String,
        on uuid: String,
        body: [UInt8],
        now: ContinuousClock.Instant,
        wallClock: Double
    ) -> APIAnswer? {
        switch action {
        case "buzz": update(uuid, now: now) { $0.buzzTime = wallClock }
        case "clearbuzz": update(uuid, now: now) { $0.buzzTime = 0 }
        case "video_muted": update(uuid, now: now) { $0.isVideoMuted = true }
        case "video_unmuted": update(uuid, now: now) { $0.isVideoMuted = false }
        case "role":
            guard let body = JSONDecoder.decodeIfValid(RoleBody.self, from: body) else {
                return .failed(400, "role is required")
            }
            let role: SimulatedRole
            switch body.role.lowercased() {
            case "chair": role = .host
            case "guest": role = .guest
            default: return .failed(400, Self.illegalValue)
            }
            update(uuid, now: now) { $0.role = role }
        case "overlaytext":
            guard let body = JSONDecoder.decodeIfValid(TextBody.self, from: body) else {
                return .failed(400, "text is required")
            }
            update(uuid, now: now) { $0.overlayText = body.text }
        case "dtmf":
            guard let body = JSONDecoder.decodeIfValid(DigitsBody.self, from: body),
                !body.digits.isEmpty, body.digits.allSatisfy({ "0123456789*#ABCD".contains($0) })
            else {
                return .failed(400, Self.illegalValue)
            }
            stage.keep(DTMFRecord(participantUUID: uuid, digits: body.digits), in: \.dtmf)
        case "show_live_captions": update(uuid, now: now) { $0.showLiveCaptions = true }
        case "hide_live_captions": update(uuid, now: now) { $0.showLiveCaptions = false }
        default: return nil
        }
        return .success(action.hasSuffix("live_captions") ? .null : .bool(true))
    }

    /// Sends a `stage` event: `speaking` first (vad 100), then up to three others on stage (vad 0).
    mutating func emitStage(speaking: [String], now: ContinuousClock.Instant) {
        let quiet = roster.filter { !$0.isAPI && !speaking.contains($0.uuid) }.prefix(3).map(\.uuid)
        let entries = (speaking.map { ($0, 100) } + quiet.map { ($0, 0) }).enumerated().map {
            JSONValue.object([
                ("participant_uuid", .string($1.0)), ("stage_index", .int($0)), ("vad", .int($1.1)),
            ])
        }
        broadcast(ServerEvent(name: "stage", data: .array(entries)), now: now)
    }

    /// Sends a `live_captions` event to the streams of the participants that asked for captions.
    mutating func emitCaption(_ text: String, final: Bool, now: ContinuousClock.Instant, wallClock: Double) {
        let event = ServerEvent(
            name: "live_captions",
            data: .object([("data", .string(text)), ("is_final", .bool(final)), ("sent_time", .double(wallClock))])
        )
        for uuid in roster.filter(\.showLiveCaptions).map(\.uuid) {
            send(event, toParticipant: uuid, now: now)
        }
    }
}
