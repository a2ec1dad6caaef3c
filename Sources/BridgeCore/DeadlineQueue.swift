/// Deadlines in time order, for timers that share one sleeping task instead of a task each: a `join` loop into a
/// PIN-protected room must cost a few bytes per session, not a suspended task for the whole PIN-state timeout.
/// Entries are not removed when their session moves on; whoever pops them checks they still apply.
struct DeadlineQueue<ID: Sendable>: Sendable {
    private var items: [(deadline: Moment, id: ID)] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    /// The earliest deadline.
    var next: Moment? { isEmpty ? nil : items[head].deadline }

    /// Adds a deadline; returns true when the queue was empty (the sleeper must be woken).
    /// Appending is O(1) when deadlines come in order (one timeout for all), else an ordered insert.
    @discardableResult
    mutating func push(_ deadline: Moment, _ id: ID) -> Bool {
        let wasEmpty = isEmpty
        if let last = items.last, head < items.count, deadline < last.deadline {
            let index = items[head...].firstIndex { $0.deadline > deadline } ?? items.count
            items.insert((deadline, id), at: index)
        } else {
            items.append((deadline, id))
        }
        return wasEmpty
    }

    /// Removes and returns every entry due at `now`, earliest first.
    mutating func popDue(now: Moment) -> [ID] {
        var due: [ID] = []
        while head < items.count, items[head].deadline <= now {
            due.append(items[head].id)
            head += 1
        }
        if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return due
    }
}
