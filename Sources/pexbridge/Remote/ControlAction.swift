import ArgumentParser
import BridgeProtocol

/// A control as `pexbridge control` names it.
enum ControlAction: String, CaseIterable, ExpressibleByArgument, Sendable {
    case lock
    case unlock
    case muteGuests = "mute-guests"
    case unmuteGuests = "unmute-guests"
    case mute
    case unmute
    case spotlightOn = "spotlight-on"
    case spotlightOff = "spotlight-off"
    case admit
    case disconnectParticipant = "disconnect-participant"
    case startConference = "start-conference"
    case disconnectAll = "disconnect-all"
    case raiseHand = "raise-hand"
    case lowerHand = "lower-hand"
    case lowerAllHands = "lower-all-hands"
    case setRole = "set-role"
    case videoMute = "video-mute"
    case videoUnmute = "video-unmute"
    case guestsCanUnmute = "guests-can-unmute"
    case guestsCannotUnmute = "guests-cannot-unmute"
    case layouts
    case setLayout = "set-layout"
    case clearSpotlights = "clear-spotlights"
    case overlayText = "overlay-text"
    case dial
    case transfer
    case dtmf
    case captionsOn = "captions-on"
    case captionsOff = "captions-off"

    /// Whether the action names a participant: always, never, or optionally (`lower-hand`: own hand without).
    enum ParticipantUse { case required, none, optional }

    var participantUse: ParticipantUse {
        switch self {
        case .mute, .unmute, .spotlightOn, .spotlightOff, .admit, .disconnectParticipant, .setRole, .videoMute,
            .videoUnmute, .overlayText, .transfer, .dtmf:
            .required
        case .lowerHand: .optional
        case .lock, .unlock, .muteGuests, .unmuteGuests, .startConference, .disconnectAll, .raiseHand, .lowerAllHands,
            .guestsCanUnmute, .guestsCannotUnmute, .layouts, .setLayout, .clearSpotlights, .dial, .captionsOn,
            .captionsOff:
            .none
        }
    }

    /// True for the actions on one participant.
    var needsParticipant: Bool { participantUse == .required }
}

/// The values some actions need besides a participant, from `control`'s options.
struct ControlValues: Sendable {
    var role: Role?
    var layout: String?
    var hostLayout: String?
    var guestLayout: String?
    var overlayText: Bool?
    var text: String?
    var destination: String?
    var callProtocol: DialProtocol?
    var displayName: String?
    var streaming = false
    var alias: String?
    var digits: String?
    /// `transfer`'s PIN, read like any PIN (prompt or standard input), never from the command line.
    var pin: String?

    /// Why `action` cannot run with these values, or nil.
    func problem(for action: ControlAction) -> String? {
        switch action {
        case .setRole where role == nil: "set-role needs --role host|guest"
        case .setLayout where layout == nil && hostLayout == nil && guestLayout == nil && overlayText == nil:
            "set-layout needs --layout, --host-layout, --guest-layout or --overlay-text"
        case .overlayText where text == nil: "overlay-text needs --text"
        case .dial where destination == nil || callProtocol == nil || role == nil:
            "dial needs --destination, --protocol and --role"
        case .transfer where alias == nil || role == nil: "transfer needs --alias and --role"
        case .dtmf where digits == nil: "dtmf needs --digits"
        default: nil
        }
    }
}

extension ControlAction {
    /// The protocol control; `participant` is a uuid (or nil where the action takes none).
    func control(participant: String?, _ v: ControlValues = ControlValues()) -> ConferenceControl {
        let p = participant ?? ""
        switch self {
        case .lock: return .lock
        case .unlock: return .unlock
        case .muteGuests: return .muteGuests
        case .unmuteGuests: return .unmuteGuests
        case .startConference: return .startConference
        case .disconnectAll: return .disconnectAll
        case .mute: return .mute(participant: p)
        case .unmute: return .unmute(participant: p)
        case .spotlightOn: return .spotlight(participant: p, on: true)
        case .spotlightOff: return .spotlight(participant: p, on: false)
        case .admit: return .admit(participant: p)
        case .disconnectParticipant: return .disconnectParticipant(participant: p)
        case .raiseHand: return .raiseHand
        case .lowerHand: return .lowerHand(participant: participant)
        case .lowerAllHands: return .lowerAllHands
        case .setRole: return .setRole(participant: p, role: v.role ?? .guest)
        case .videoMute: return .videoMute(participant: p)
        case .videoUnmute: return .videoUnmute(participant: p)
        case .guestsCanUnmute: return .guestsCanUnmute(allowed: true)
        case .guestsCannotUnmute: return .guestsCanUnmute(allowed: false)
        case .layouts: return .layouts
        case .setLayout:
            return .setLayout(
                LayoutChange(
                    layout: v.layout,
                    hostLayout: v.hostLayout,
                    guestLayout: v.guestLayout,
                    overlayText: v.overlayText
                )
            )
        case .clearSpotlights: return .clearSpotlights
        case .overlayText: return .overlayText(participant: p, text: v.text ?? "")
        case .dial:
            return .dial(
                DialParameters(
                    destination: v.destination ?? "",
                    callProtocol: v.callProtocol ?? .auto,
                    role: v.role ?? .guest,
                    displayName: v.displayName,
                    streaming: v.streaming ? true : nil
                )
            )
        case .transfer:
            return .transfer(
                TransferParameters(participant: p, alias: v.alias ?? "", role: v.role ?? .guest, pin: v.pin)
            )
        case .dtmf: return .dtmf(participant: p, digits: v.digits ?? "")
        case .captionsOn: return .captions(on: true)
        case .captionsOff: return .captions(on: false)
        }
    }
}

extension Role: ExpressibleByArgument {}
extension DialProtocol: ExpressibleByArgument {}
