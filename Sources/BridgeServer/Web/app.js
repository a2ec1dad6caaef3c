// pexbridge's web page: wires the connection, the session store and the views together.
// Served by the bridge itself (no build step, no third-party code).
import { BridgeClient } from './lib/bridge-client.js';
import { h, setText, show } from './lib/dom.js';
import { endedText, errorText } from './lib/format.js';
import { icon } from './lib/icons.js';
import { JoinForm } from './lib/join-form.js';
import { SessionList } from './lib/session-list.js';
import { SessionStore } from './lib/session-store.js';
import { SessionView } from './lib/session-view.js';

const TOKEN_KEY = 'pexbridge.token';
const NOTICE_MS = 8000;
// A refused re-subscribe (e.g. rate_limited) is retried while the connection stays open.
const RESYNC_RETRY_FIRST_MS = 500;
const RESYNC_RETRY_MAX_MS = 8000;
// Ephemeral events the page shows (who is speaking, live captions): they come only to clients that ask.
const INCLUDE = ['speakers', 'captions'];

const $ = (selector) => document.querySelector(selector);

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lives in memory for this page only.
  }
}

async function loadBridgeInfo() {
  try {
    const response = await fetch('bridge.json', { cache: 'no-store' });
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null;
  }
}

class App {
  #info = null;
  #infoText = '';
  #client;
  #store = new SessionStore();
  #views = new Map();
  #list;
  #joinForm;
  #selected = null;
  #authNeeded = false;
  #pendingToken = null;
  #pendingJoins = 0;
  /** id → the re-subscribe under way for it: {timer} (set while a retry waits). */
  #resyncing = new Map();
  #everOnline = false;

  async start() {
    this.#list = new SessionList(document, { onSelect: (id) => this.#select(id, { focus: false }) });
    this.#joinForm = new JoinForm(document, { onJoin: (fields) => this.#join(fields) });
    $('#new-session').addEventListener('click', () => this.#select(null, { focus: true }));
    $('#retry-now').addEventListener('click', () => this.#client.retryNow());
    $('#sign-out').addEventListener('click', () => {
      storeToken(null);
      this.#store.clear();
      this.#client.forgetToken();
    });
    $('#auth-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitToken();
    });
    this.#store.addEventListener('added', (event) => this.#onAdded(event.detail.session));
    this.#store.addEventListener('changed', (event) => this.#onChanged(event.detail.session));
    this.#store.addEventListener('removed', (event) => this.#onRemoved(event.detail.session, event.detail.info));

    this.#setInfo(await loadBridgeInfo());
    const path = this.#info?.websocket_path ?? '/ws';
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
    this.#client = new BridgeClient(url, { token: storedToken() });
    this.#client.addEventListener('status', (event) => this.#onStatus(event.detail));
    this.#client.addEventListener('auth-required', (event) => this.#onAuthRequired(event.detail));
    this.#client.addEventListener('ready', (event) => this.#onReady(event.detail));
    this.#client.addEventListener('disconnected', () => this.#onDisconnected());
    this.#client.addEventListener('event', (event) => this.#onBridgeEvent(event.detail));
    this.#client.start();
    this.#render();
  }

  get #ctx() {
    return { online: Boolean(this.#client?.ready), watchOnly: this.#client?.role === 'observer' };
  }

  #setInfo(info) {
    if (!info) return;
    const text = JSON.stringify(info);
    if (text === this.#infoText) return;
    this.#info = info;
    this.#infoText = text;
    this.#joinForm.setBridgeInfo(info);
    setText($('#bridge-version'), `pexbridge ${info.version ?? ''}`.trim());
  }

  // Connection

  #onStatus(status) {
    const box = $('#bridge-status');
    box.dataset.state = status.state;
    let text;
    let extra = '';
    switch (status.state) {
      case 'connecting': text = 'Connecting to the bridge…'; break;
      case 'auth': text = 'Sign-in needed'; break;
      case 'online':
        text = status.reconnected ? 'Bridge is back: reconnected' : 'Connected to the bridge';
        box.dataset.reconnected = String(Boolean(status.reconnected));
        break;
      case 'offline':
        text = status.everReady ? 'Bridge offline: reconnecting…' : 'Cannot reach the bridge: retrying…';
        extra = `attempt ${status.attempt}`;
        break;
      default: text = status.state;
    }
    setText($('#bridge-status-text'), text);
    setText($('#bridge-retry-info'), extra);
    show($('#retry-now'), status.state === 'offline');
    if (status.state === 'offline' && !this.#everOnline) {
      setText($('#loading-title'), 'Cannot reach the bridge');
      setText($('#loading-text'), 'Retrying with a growing delay. Check that pexbridge is running.');
    }
  }

  #onAuthRequired({ failed, error }) {
    this.#authNeeded = true;
    storeToken(null);
    show($('#identity'), false);
    const submit = $('#auth-submit');
    submit.disabled = false;
    setText(submit, 'Sign in');
    const message = !failed ? ''
      : error?.code === 'unauthorized' ? 'The bridge did not accept this token.'
        : errorText(error);
    setText($('#auth-error'), message);
    $('#auth-token').toggleAttribute('aria-invalid', Boolean(failed));
    $('#auth-token').value = '';
    this.#render();
    $('#auth-token').focus();
  }

  #submitToken() {
    const input = $('#auth-token');
    const token = input.value.trim();
    if (!token) {
      setText($('#auth-error'), 'Enter the access token.');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.value = '';
    this.#pendingToken = token;
    setText($('#auth-error'), '');
    const submit = $('#auth-submit');
    submit.disabled = true;
    setText(submit, 'Signing in…');
    this.#client.setToken(token);
  }

  async #onReady({ role, reconnected }) {
    this.#everOnline = true;
    if (this.#pendingToken) storeToken(this.#pendingToken);
    this.#pendingToken = null;
    const wasAuth = this.#authNeeded;
    this.#authNeeded = false;
    document.body.classList.toggle('watch-only', role === 'observer');
    const identity = $('#identity');
    show(identity, true);
    $('#role-badge').replaceChildren(
      icon(role === 'observer' ? 'eye' : 'check'),
      h('span', { text: role === 'observer' ? 'Observer · watch only' : 'Controller' }));
    $('#role-badge').dataset.role = role;
    show($('#sign-out'), this.#client.authRequired);
    show($('#new-session'), role !== 'observer');
    if (reconnected) this.#setInfo(await loadBridgeInfo());
    this.#joinForm.setOnline(true);
    await this.#resubscribe();
    this.#refreshAll();
    this.#render();
    if (wasAuth) this.#focusMain();
  }

  #onDisconnected() {
    this.#joinForm.setOnline(false);
    // The re-subscribe after the reconnect rebuilds everything: no retry outlives the connection.
    for (const attempt of this.#resyncing.values()) clearTimeout(attempt.timer);
    this.#resyncing.clear();
    this.#refreshAll();
  }

  /**
   * After every (re)connect: subscribe to everything and rebuild from the snapshots. Sessions the
   * bridge no longer has disappear; for the ones that survived, missed events are asked for again
   * so chat messages sent meanwhile are not lost (the roster comes from the snapshot).
   */
  async #resubscribe() {
    const seen = new Map([...this.#store.sessions].map(([id, session]) => [id, session.seq]));
    const result = await this.#client.request('subscribe', { include: INCLUDE });
    if (!result.ok) {
      if (!['connection_lost', 'offline'].includes(result.error.code)) this.#notice(`Could not follow the bridge's sessions: ${errorText(result.error)}`, 'error');
      return;
    }
    const snapshots = result.data?.sessions ?? [];
    this.#store.reconcile(snapshots);
    for (const snapshot of snapshots) {
      const since = seen.get(snapshot.id);
      if (since != null && since < snapshot.seq) this.#resync(snapshot.id, since);
    }
  }

  /**
   * Re-subscribes to one session from `since` (or from scratch) and replaces it from the snapshot.
   * A refusal (rate_limited, timeout…) is retried with a growing delay while the connection is
   * open; the session stays marked as resyncing (events wait for the snapshot) meanwhile.
   */
  #resync(id, since = null) {
    if (this.#resyncing.has(id)) return;
    const attempt = { timer: null };
    this.#resyncing.set(id, attempt);
    this.#store.markResyncing(id);
    this.#resyncAttempt(id, since, attempt, RESYNC_RETRY_FIRST_MS);
  }

  async #resyncAttempt(id, since, attempt, delay) {
    const fields = since != null && since > 0 ? { session: id, since_seq: since } : { session: id };
    const result = await this.#client.request('subscribe', { ...fields, include: INCLUDE });
    // Superseded: the connection dropped (the reconnect's re-subscribe rebuilds everything).
    if (this.#resyncing.get(id) !== attempt) return;
    if (result.ok) {
      this.#resyncing.delete(id);
      const snapshots = result.data?.sessions ?? [];
      for (const snapshot of snapshots) this.#store.upsertSnapshot(snapshot, { force: true });
      if (!snapshots.some((snapshot) => snapshot.id === id)) this.#store.remove(id, { reason: 'gone' });
    } else if (result.error.code === 'unknown_session') {
      this.#resyncing.delete(id);
      this.#store.remove(id, { reason: 'gone' });
    } else if (this.#client.ready && this.#store.get(id)) {
      attempt.timer = setTimeout(() => {
        attempt.timer = null;
        if (this.#resyncing.get(id) !== attempt) return;
        if (this.#client.ready && this.#store.get(id)) {
          this.#resyncAttempt(id, since, attempt, Math.min(delay * 2, RESYNC_RETRY_MAX_MS));
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

  #onBridgeEvent(event) {
    const outcome = this.#store.applyEvent(event);
    if (outcome === 'gap' || outcome === 'unknown') {
      const session = this.#store.get(event.session);
      this.#resync(event.session, session?.seq ?? null);
    }
  }

  // Sessions

  async #join(fields) {
    this.#pendingJoins += 1;
    const result = await this.#client.request('join', fields, { timeout: 60000 });
    this.#pendingJoins -= 1;
    if (result.ok) {
      const session = this.#store.upsertSnapshot(result.data.session) ?? this.#store.get(result.data.session.id);
      if (session) this.#select(session.id, { focus: true });
    }
    return result;
  }

  async #sessionRequest(id, type, fields, options) {
    const result = await this.#client.request(type, { session: id, ...fields }, options);
    if (result.ok && result.data?.session) this.#store.upsertSnapshot(result.data.session);
    if (type === 'leave' && result.ok) this.#store.remove(id, { reason: 'left' });
    if (!result.ok && result.error.code === 'unknown_session') this.#store.remove(id, { reason: 'gone' });
    const session = this.#store.get(id);
    if (session) this.#onChanged(session);
    return result;
  }

  #onAdded(session) {
    const view = new SessionView(session, { request: (id, type, fields, options) => this.#sessionRequest(id, type, fields, options) });
    this.#views.set(session.id, view);
    $('#session-panels').append(view.element);
    this.#onChanged(session);
    if (this.#selected == null && this.#client?.role === 'observer') this.#select(session.id, { focus: false });
    this.#render();
  }

  #onChanged(session) {
    this.#list.upsert(session);
    this.#views.get(session.id)?.update(session, this.#ctx);
  }

  #onRemoved(session, info) {
    const view = this.#views.get(session.id);
    const hadFocus = view?.element.contains(document.activeElement);
    view?.element.remove();
    this.#views.delete(session.id);
    this.#list.remove(session.id);
    const failedOwnJoin = info.state === 'error' && this.#pendingJoins > 0 && session.participants.size === 0;
    if (!failedOwnJoin && info.reason !== 'signed_out') {
      const quiet = info.reason === 'left' || info.reason === 'gone' || info.reason === 'bridge_shutdown';
      this.#notice(`${session.alias || session.id}: ${endedText(info)}`, quiet ? 'info' : 'error');
    }
    if (this.#selected === session.id) {
      const next = this.#client?.role === 'observer' ? this.#list.ids()[0] ?? null : null;
      this.#select(next, { focus: hadFocus || document.activeElement === document.body });
    } else {
      this.#render();
    }
  }

  #refreshAll() {
    for (const session of this.#store.list()) this.#onChanged(session);
  }

  #select(id, { focus }) {
    this.#selected = id && this.#store.get(id) ? id : null;
    this.#list.select(this.#selected);
    this.#render();
    if (focus) this.#focusMain();
  }

  #focusMain() {
    if (this.#selected) {
      this.#views.get(this.#selected)?.focus();
      return;
    }
    const target = ['#auth-panel', '#join-panel', '#watch-panel', '#loading-panel']
      .map((selector) => $(selector)).find((panel) => !panel.hidden);
    if (target === $('#join-panel')) this.#joinForm.focus();
    else if (target === $('#auth-panel')) $('#auth-token').focus();
    else target?.querySelector('h2')?.focus();
  }

  /** Shows the one panel that fits: sign-in, the selected session, the join form or the watch note. */
  #render() {
    const role = this.#client?.role;
    const online = Boolean(this.#client?.ready);
    const mode = this.#authNeeded ? 'auth'
      : this.#selected ? 'session'
        : !this.#everOnline ? 'loading'
          : role === 'observer' ? 'watch' : 'join';
    show($('#auth-panel'), mode === 'auth');
    show($('#loading-panel'), mode === 'loading');
    show($('#join-panel'), mode === 'join');
    show($('#watch-panel'), mode === 'watch');
    for (const [id, view] of this.#views) show(view.element, mode === 'session' && id === this.#selected);
    document.body.dataset.mode = mode;
    if (mode === 'join') $('#new-session').setAttribute('aria-current', 'true');
    else $('#new-session').removeAttribute('aria-current');
    setText($('#watch-hint'), this.#store.sessions.size > 0
      ? 'Choose a session from the list to follow it.'
      : 'There are no sessions yet: they appear here as soon as a controller joins a conference.');
    this.#joinForm.setOnline(online);
  }

  // Notices: short-lived, announced politely, dismissible.
  #notice(text, kind = 'info') {
    const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss' }, icon('x'));
    const item = h('div', { class: `notice notice-${kind}` }, icon(kind === 'error' ? 'alert' : 'info'), h('p', { text }), close);
    const remove = () => item.remove();
    close.addEventListener('click', remove);
    $('#notices').append(item);
    setTimeout(remove, NOTICE_MS);
  }
}

new App().start();
