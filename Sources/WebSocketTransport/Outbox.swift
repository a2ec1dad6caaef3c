/// FIFO of frames waiting for one connection's writeable callbacks (a growable ring buffer).
struct Outbox {
    private var slots: [OutboundFrame?] = []
    private var head = 0
    private(set) var count = 0
    /// Payload bytes of the queued frames.
    private(set) var bytes = 0

    var isEmpty: Bool { count == 0 }

    /// Adds a frame at the end.
    mutating func append(_ frame: OutboundFrame) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = frame
        count += 1
        bytes += frame.count
    }

    /// Removes and returns the oldest frame.
    mutating func popFirst() -> OutboundFrame? {
        guard count > 0 else { return nil }
        let frame = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        bytes -= frame?.count ?? 0
        return frame
    }

    /// Drops every frame; returns how many frames and bytes were dropped.
    mutating func removeAll() -> (frames: Int, bytes: Int) {
        let dropped = (count, bytes)
        slots = []
        head = 0
        count = 0
        bytes = 0
        return dropped
    }

    private mutating func grow() {
        let newCapacity = max(4, slots.count * 2)
        var newSlots = [OutboundFrame?](repeating: nil, count: newCapacity)
        for index in 0..<count {
            newSlots[index] = slots[(head + index) % slots.count]
        }
        slots = newSlots
        head = 0
    }
}
