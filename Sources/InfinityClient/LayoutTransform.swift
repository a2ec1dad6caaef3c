/// The `transforms` of a `transform_layout` call: only the members set are sent.
public struct LayoutTransform: Sendable, Equatable, Encodable {
    /// The layout for everyone (e.g. `1:7`, `ac`).
    public var layout: String?
    /// The layout hosts see.
    public var hostLayout: String?
    /// The layout guests see.
    public var guestLayout: String?
    /// Show participants' names (overlay text) over their video.
    public var enableOverlayText: Bool?

    /// - Parameters:
    ///   - layout: The layout for everyone.
    ///   - hostLayout: The layout hosts see.
    ///   - guestLayout: The layout guests see.
    ///   - enableOverlayText: Show participants' names over their video.
    public init(
        layout: String? = nil,
        hostLayout: String? = nil,
        guestLayout: String? = nil,
        enableOverlayText: Bool? = nil
    ) {
        self.layout = layout
        self.hostLayout = hostLayout
        self.guestLayout = guestLayout
        self.enableOverlayText = enableOverlayText
    }

    enum CodingKeys: String, CodingKey {
        case layout
        case hostLayout = "host_layout"
        case guestLayout = "guest_layout"
        case enableOverlayText = "enable_overlay_text"
    }
}
