// The page's model of the bridge's sessions, rebuilt from snapshots and kept current by events.
// `seq` decides what applies: an event at seq + 1 applies, an older one is already included, a
// newer one reveals a gap (the caller re-subscribes and replaces the session from the snapshot).
// Chat messages are not part of snapshots, so they are kept across replacements, once per seq.
// The bridge echoes its own participant's messages; the page sending one shows a pending copy
// until the echo replaces it, and only that page labels it as its own.
//
// Events (CustomEvent, detail): added {session}, changed {session}, removed {session, info}.

const FINAL_STATES = new Set(['disconnected', 'error']);
const MAX_MESSAGES = 300;

/** One conference session held by the bridge, as this page knows it. */
export class Session {
  id;
  seq = 0;
  state = 'connecting';
  node = '';
  alias = '';
  display_name = '';
  role = null;
  pin = null;
  error = null;
  pinAttemptsLeft = null;
  /** The ways in: `extension` ({kind}), `idps` ([{uuid,name}]), `sso` ({redirect_url, idp}) in their states. */
  extension = null;
  idps = null;
  sso = null;
  /** The alias the node moved the session to (`refer`), once it did. */
  transferredTo = null;
  conference = null;
  capabilities = {};
  /** uuid → participant, in roster order. */
  participants = new Map();
  /**
   * Chat messages, oldest first: {key, seq, order, from, text, at, own, bridge, local, status}.
   * `own`: sent from this page; `bridge`: said by the bridge's participant from elsewhere (another
   * page or client); `local`: this page's copy, not yet replaced by the bridge's echo;
   * `status`: 'sending', 'sent' or 'received'.
   */
  messages = [];
  /** The node-side connection: {status, attempt, delay_ms} from `upstream` events. */
  upstream = null;
  /** The presentation: {active, presenter: {uuid, display_name} | null}, or null when the bridge never said. */
  presentation = null;
  /** The layout: {layout, host_layout, guest_layout, overlay_text_enabled}, or null when the bridge never said. */
  layout = null;
  /** Who speaks now (uuids, loudest first), or null when the bridge sends no speakers (not asked, or too old). */
  speakers = null;
  /** The latest live caption: {text, final, at}, or null. */
  captions = null;
  /** True while a re-subscribe is under way after a gap. */
  resyncing = false;
  #messageSeqs = new Set();
  /** The seq of the `upstream` event behind `upstream` (snapshots do not carry it: replayed ones still count). */
  #upstreamSeq = 0;
  #localCount = 0;
  /** Texts sent from this page whose result was lost: their echo may still come (replayed). */
  #unconfirmed = [];

  constructor(id) {
    this.id = id;
  }

  /** The bridge's own participant (`self: true`), if the roster has it. */
  get self() {
    for (const participant of this.participants.values()) if (participant.self) return participant;
    return null;
  }

  /** Whether the capability is granted now. */
  can(name) {
    return Boolean(this.capabilities?.[name]);
  }

  /** Replaces everything the snapshot describes (chat history stays). */
  applySnapshot(snapshot) {
    this.seq = snapshot.seq ?? 0;
    this.state = snapshot.state ?? this.state;
    this.node = snapshot.node ?? this.node;
    this.alias = snapshot.alias ?? this.alias;
    this.display_name = snapshot.display_name ?? this.display_name;
    this.role = snapshot.role ?? null;
    this.pin = snapshot.pin ?? null;
    this.error = snapshot.error ?? null;
    this.pinAttemptsLeft = snapshot.pin_attempts_left ?? null;
    this.extension = snapshot.extension ?? null;
    this.idps = snapshot.idps ?? null;
    this.sso = snapshot.sso ?? null;
    this.conference = snapshot.conference ?? null;
    this.capabilities = snapshot.capabilities ?? {};
    this.participants = new Map((snapshot.participants ?? []).map((participant) => [participant.uuid, participant]));
    // Issue 11's fields: absent from older bridges' snapshots, so "unknown" (null) rather than "none".
    this.presentation = snapshot.presentation ?? null;
    this.layout = snapshot.layout ?? null;
    if ('speakers' in snapshot) this.speakers = snapshot.speakers ?? [];
    this.resyncing = false;
  }

  /**
   * An `upstream` event, even one older than the snapshot (snapshots do not carry the node link's
   * health, so a replayed one is still news); returns whether it changed anything.
   */
  noteUpstream(event) {
    if (typeof event.seq !== 'number' || event.seq <= this.#upstreamSeq) return false;
    this.#upstreamSeq = event.seq;
    this.upstream = { status: event.status, attempt: event.attempt ?? null, delay_ms: event.delay_ms ?? null };
    return true;
  }

  /** Forgets the node link's health (after a resume the bridge could not replay: unknown again). */
  forgetUpstream() {
    this.upstream = null;
  }

  /** An ephemeral event (no seq): `speakers` or `captions`; returns whether it changed anything. */
  applyEphemeral(event) {
    switch (event.type) {
      case 'speakers':
        this.speakers = Array.isArray(event.participants) ? event.participants : [];
        return true;
      case 'captions':
        this.captions = { text: String(event.text ?? ''), final: Boolean(event.final), at: new Date() };
        return true;
      default:
        return false;
    }
  }

  /** Applies one event whose seq is exactly the next one. */
  applyEvent(event) {
    this.seq = event.seq;
    switch (event.type) {
      case 'state':
        this.state = event.state;
        for (const key of ['node', 'alias', 'display_name']) if (typeof event[key] === 'string') this[key] = event[key];
        if ('role' in event) this.role = event.role;
        if ('pin' in event) this.pin = event.pin;
        else if (event.state === 'connected') this.pin = null;
        if ('pin_attempts_left' in event) this.pinAttemptsLeft = event.pin_attempts_left;
        else if (event.state === 'connected') this.pinAttemptsLeft = null;
        if ('capabilities' in event) this.capabilities = event.capabilities ?? {};
        this.error = event.error ?? null;
        for (const key of ['extension', 'idps', 'sso']) this[key] = event[key] ?? null;
        if (event.reason === 'transferred') {
          this.transferredTo = event.alias ?? this.alias;
          this.conference = null;
          // The new room decides the role anew.
          this.role = null;
        }
        break;
      case 'participant_joined':
      case 'participant_updated':
        if (event.participant?.uuid) this.participants.set(event.participant.uuid, event.participant);
        break;
      case 'participant_left':
        this.participants.delete(event.uuid);
        break;
      case 'conference': {
        // Later fields (guests_can_unmute, presentation_allowed…) are kept as the bridge sent them.
        const { type: _type, session: _session, seq: _seq, ...fields } = event;
        this.conference = { ...fields, locked: Boolean(event.locked), guests_muted: Boolean(event.guests_muted), started: event.started !== false };
        break;
      }
      case 'message':
        this.addMessage(event);
        break;
      case 'upstream':
        this.noteUpstream(event);
        break;
      case 'presentation':
        this.presentation = { active: Boolean(event.active), presenter: event.presenter ?? null };
        break;
      case 'layout':
        this.layout = {
          layout: event.layout ?? null, host_layout: event.host_layout ?? null,
          guest_layout: event.guest_layout ?? null, overlay_text_enabled: event.overlay_text_enabled ?? null,
        };
        break;
      default:
        break;
    }
  }

  /**
   * Adds a chat message event once (by seq); returns whether it was new. The bridge echoes what
   * its own participant says to every subscriber: the echo of a message this page sent replaces
   * the page's pending copy (and is "own"); the bridge's other messages (sent from another page or
   * client) are marked `bridge`, not own.
   */
  addMessage(event) {
    if (this.#messageSeqs.has(event.seq)) return false;
    this.#messageSeqs.add(event.seq);
    const text = String(event.text ?? '');
    const bridge = this.#fromBridge(event.from);
    const pending = bridge && this.messages.find((message) => message.local && message.text === text);
    if (pending) {
      Object.assign(pending, {
        seq: event.seq, order: event.seq, local: false, status: 'sent', from: event.from ?? pending.from,
      });
    } else {
      // A send whose result got lost with the connection, replayed after the reconnect: still ours.
      const unsure = bridge ? this.#unconfirmed.indexOf(text) : -1;
      if (unsure >= 0) this.#unconfirmed.splice(unsure, 1);
      this.messages.push({
        key: `m${event.seq}`, seq: event.seq, order: event.seq, from: event.from ?? {}, text,
        at: new Date(), own: unsure >= 0, bridge: bridge && unsure < 0, local: false, status: 'received',
      });
    }
    this.#sortAndTrim();
    return true;
  }

  /** Whether a message comes from the bridge's own participant (what this session said). */
  #fromBridge(from) {
    const self = this.self;
    if (self?.uuid) return from?.uuid === self.uuid;
    return Boolean(from) && !from.uuid && from.display_name === this.display_name;
  }

  /**
   * Adds the pending copy of a message this page is sending ("Sending…" until the bridge's echo
   * replaces it); returns its key for settleLocalMessage.
   */
  addLocalMessage(text) {
    this.#localCount += 1;
    const self = this.self;
    const key = `l${this.#localCount}`;
    this.messages.push({
      key, seq: null, order: this.seq + 0.5, text, at: new Date(), own: true, bridge: false, local: true, status: 'sending',
      from: { uuid: self?.uuid ?? null, display_name: self?.display_name ?? this.display_name },
    });
    this.#sortAndTrim();
    return key;
  }

  /**
   * The send request's result for a pending copy. Refused: the copy goes (the text stays in the
   * chat field to try again). Lost with the connection: the copy goes too, but an echo of the
   * same text replayed later still counts as ours. Accepted before any echo: the copy stays.
   */
  settleLocalMessage(key, result) {
    const index = this.messages.findIndex((message) => message.key === key && message.local);
    if (index < 0) return;
    if (result?.ok) {
      this.messages[index].status = 'sent';
      return;
    }
    const [message] = this.messages.splice(index, 1);
    if (['connection_lost', 'timeout'].includes(result?.error?.code)) this.#unconfirmed.push(message.text);
  }

  #sortAndTrim() {
    this.messages.sort((a, b) => a.order - b.order);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
  }
}

export class SessionStore extends EventTarget {
  /** id → Session, in the order they became known. */
  sessions = new Map();
  #ended = new Set();

  get(id) {
    return this.sessions.get(id) ?? null;
  }

  list() {
    return [...this.sessions.values()];
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /**
   * Takes a snapshot: creates the session or replaces it (when the snapshot is not older than what
   * the page has, or always with `force`). A final snapshot removes the session.
   */
  upsertSnapshot(snapshot, { force = false } = {}) {
    if (!snapshot?.id || this.#ended.has(snapshot.id)) return null;
    if (FINAL_STATES.has(snapshot.state)) {
      this.remove(snapshot.id, snapshot);
      return null;
    }
    let session = this.sessions.get(snapshot.id);
    if (session && !force && (snapshot.seq ?? 0) < session.seq) return session;
    const added = !session;
    if (added) {
      session = new Session(snapshot.id);
      this.sessions.set(snapshot.id, session);
    }
    session.applySnapshot(snapshot);
    this.#emit(added ? 'added' : 'changed', { session });
    return session;
  }

  /** The full list after (re)subscribing: sessions not in it are gone, the others are replaced. */
  reconcile(snapshots) {
    const present = new Set(snapshots.map((snapshot) => snapshot.id));
    for (const id of [...this.sessions.keys()]) {
      if (!present.has(id)) this.remove(id, { reason: 'gone' });
    }
    for (const snapshot of snapshots) this.upsertSnapshot(snapshot, { force: true });
  }

  /**
   * Applies an event. Returns 'applied', 'stale' (already included), 'gap' (missed events:
   * re-subscribe), 'unknown' (a session the page has no snapshot of: subscribe to it), 'ended', or
   * 'ephemeral' (an event without seq, `speakers` or `captions`: never a gap, never replayed).
   */
  applyEvent(event) {
    if (typeof event.seq !== 'number') {
      const target = this.sessions.get(event.session);
      if (target?.applyEphemeral(event)) this.#emit('changed', { session: target });
      return 'ephemeral';
    }
    let session = this.sessions.get(event.session);
    if (!session) {
      if (this.#ended.has(event.session)) return 'stale';
      if (event.type === 'state' && event.seq === 1 && !FINAL_STATES.has(event.state)) {
        session = new Session(event.session);
        session.applyEvent(event);
        this.sessions.set(event.session, session);
        this.#emit('added', { session });
        return 'applied';
      }
      return 'unknown';
    }
    const isMessage = event.type === 'message';
    // The snapshot holds the roster, but never chat nor the node link's health: keep those from any event.
    const outOfBand = () => (isMessage && session.addMessage(event)) || (event.type === 'upstream' && session.noteUpstream(event));
    if (session.resyncing || event.seq <= session.seq) {
      if (outOfBand()) this.#emit('changed', { session });
      return 'stale';
    }
    if (event.seq > session.seq + 1) {
      if (outOfBand()) this.#emit('changed', { session });
      return 'gap';
    }
    session.applyEvent(event);
    if (event.type === 'state' && FINAL_STATES.has(event.state)) {
      this.remove(session.id, event);
      return 'ended';
    }
    this.#emit('changed', { session });
    return 'applied';
  }

  /** Marks a session as waiting for its re-subscribe result. */
  markResyncing(id, value = true) {
    const session = this.sessions.get(id);
    if (session) session.resyncing = value;
  }

  /**
   * Removes a session; `info` says why (a final state event or snapshot, or {reason}). A session
   * removed for good (the default) never comes back, not even from a late snapshot.
   */
  remove(id, info = {}, { forGood = true } = {}) {
    if (forGood) this.#ended.add(id);
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.#emit('removed', { session, info });
  }

  /** Notes a session that never got listed, so late events and snapshots of it are ignored. */
  forget(id) {
    this.#ended.add(id);
  }

  /** Forgets every session without ending them (sign-out: they may come back after sign-in). */
  clear(info = { reason: 'signed_out' }) {
    for (const id of [...this.sessions.keys()]) this.remove(id, info, { forGood: false });
  }
}
