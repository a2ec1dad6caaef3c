// Keeps a SessionStore in step with the bridge over a BridgeClient, for pages that follow every
// session (the wall dashboard): subscribe to everything after each (re)connect, rebuild from the
// snapshots, resume each known session from its last seq (`since_seq`) so events the snapshot does
// not carry (the node link's health) are replayed, and re-subscribe one session after a gap.
// A refused re-subscribe (rate_limited, a timeout) is retried with a growing delay while the
// connection stays open.
//
// Events (CustomEvent, detail): synced {sessions} after each full subscribe, failed {error}.

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 8000;
const NOT_CONNECTED = new Set(['connection_lost', 'offline']);

export class SessionSync extends EventTarget {
  #client;
  #store;
  #include;
  /** id → the re-subscribe under way for it: {timer} (set while a retry waits). */
  #resyncing = new Map();
  #fullRetry = null;

  /**
   * @param {BridgeClient} client the connection (its `ready`, `disconnected` and `event` events are used)
   * @param {SessionStore} store the model to keep current
   * @param {{include?: string[]}} options `include`: ephemeral events to ask for (`speakers`, `captions`)
   */
  constructor(client, store, { include = [] } = {}) {
    super();
    this.#client = client;
    this.#store = store;
    this.#include = include;
    client.addEventListener('ready', () => this.#resubscribe());
    client.addEventListener('disconnected', () => this.#cancelAll());
    client.addEventListener('event', (event) => this.#onEvent(event.detail));
  }

  #fields(extra = {}) {
    return this.#include.length > 0 ? { ...extra, include: this.#include } : extra;
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  #cancelAll() {
    for (const attempt of this.#resyncing.values()) clearTimeout(attempt.timer);
    this.#resyncing.clear();
    clearTimeout(this.#fullRetry);
    this.#fullRetry = null;
  }

  /** Subscribes to everything; sessions the bridge no longer has go, survivors resume from their seq. */
  async #resubscribe(delay = RETRY_FIRST_MS) {
    clearTimeout(this.#fullRetry);
    this.#fullRetry = null;
    const seen = new Map([...this.#store.sessions].map(([id, session]) => [id, session.seq]));
    const result = await this.#client.request('subscribe', this.#fields());
    if (!result.ok) {
      if (NOT_CONNECTED.has(result.error.code)) return;
      this.#emit('failed', { error: result.error });
      if (this.#client.ready) {
        this.#fullRetry = setTimeout(() => this.#resubscribe(Math.min(delay * 2, RETRY_MAX_MS)), delay);
      }
      return;
    }
    const snapshots = result.data?.sessions ?? [];
    this.#store.reconcile(snapshots);
    for (const snapshot of snapshots) {
      const since = seen.get(snapshot.id);
      if (since != null && since < snapshot.seq) this.resync(snapshot.id, since);
    }
    this.#emit('synced', { sessions: snapshots.length });
  }

  /** Re-subscribes to one session, from `since` (a resume) or from scratch, and replaces it from the snapshot. */
  resync(id, since = null) {
    if (this.#resyncing.has(id)) return;
    const attempt = { timer: null };
    this.#resyncing.set(id, attempt);
    this.#store.markResyncing(id);
    this.#attempt(id, since, attempt, RETRY_FIRST_MS);
  }

  async #attempt(id, since, attempt, delay) {
    const fields = since != null && since > 0 ? { session: id, since_seq: since } : { session: id };
    const result = await this.#client.request('subscribe', this.#fields(fields));
    // Superseded: the connection dropped (the reconnect's full subscribe rebuilds everything).
    if (this.#resyncing.get(id) !== attempt) return;
    if (result.ok) {
      this.#resyncing.delete(id);
      const snapshots = result.data?.sessions ?? [];
      for (const snapshot of snapshots) this.#store.upsertSnapshot(snapshot, { force: true });
      // Events the bridge could not replay: the node link's health is unknown until the next report.
      if (since != null && result.data?.replayed === false) this.#store.get(id)?.forgetUpstream();
      if (!snapshots.some((snapshot) => snapshot.id === id)) this.#store.remove(id, { reason: 'gone' });
    } else if (result.error.code === 'unknown_session') {
      this.#resyncing.delete(id);
      this.#store.remove(id, { reason: 'gone' });
    } else if (this.#client.ready && this.#store.get(id)) {
      attempt.timer = setTimeout(() => {
        attempt.timer = null;
        if (this.#resyncing.get(id) !== attempt) return;
        if (this.#client.ready && this.#store.get(id)) {
          this.#attempt(id, since, attempt, Math.min(delay * 2, RETRY_MAX_MS));
        } else {
          this.#resyncing.delete(id);
          this.#store.markResyncing(id, false);
        }
      }, delay);
    } else {
      this.#resyncing.delete(id);
      this.#store.markResyncing(id, false);
    }
  }

  #onEvent(event) {
    const outcome = this.#store.applyEvent(event);
    if (outcome === 'gap' || outcome === 'unknown') {
      this.resync(event.session, this.#store.get(event.session)?.seq ?? null);
    }
  }
}
