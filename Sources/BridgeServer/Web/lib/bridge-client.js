// The WebSocket connection to pexbridge: hello, auth, requests with ids, events, keep-alive and
// reconnection with backoff. It knows the wire protocol but nothing about the page.
//
// Events (CustomEvent, `detail` as described):
//   status         {state: 'connecting'|'auth'|'online'|'offline', attempt, delayMs, reconnected, server}
//   auth-required  {failed: bool, error}   the bridge wants a token (again)
//   ready          {role, reconnected}     hello (and auth) done: requests may be sent
//   disconnected   {code}                  the socket closed (requests in flight answered connection_lost)
//   event          <the bridge's event>    every message that carries a `session`

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY_MS = 20000;
const PING_TIMEOUT_MS = 10000;
const DEFAULT_TIMEOUT_MS = 45000;

function failure(id, code, message) {
  return { type: 'result', id, ok: false, error: { code, message } };
}

export class BridgeClient extends EventTarget {
  #url;
  #ws = null;
  #nextId = 1;
  #pending = new Map();
  #token;
  #attempt = 0;
  #retryTimer = null;
  #pingTimer = null;
  #everReady = false;
  #awaitingToken = false;
  #authenticating = false;
  #stopped = false;

  /** The bridge's hello of the current connection. */
  hello = null;
  /** 'controller' or 'observer' once ready. */
  role = null;
  /** Whether requests can be sent now. */
  ready = false;

  constructor(url, { token = null } = {}) {
    super();
    this.#url = url;
    this.#token = token;
  }

  /** Opens the first connection; reconnects on its own from then on. */
  start() {
    this.#stopped = false;
    this.#connect();
    window.addEventListener('online', () => this.retryNow());
  }

  /** Closes for good (used by tests and page unload). */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#teardown(1000);
  }

  /** Skips the rest of the backoff delay. */
  retryNow() {
    if (this.#stopped || this.#ws || this.#awaitingToken) return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  }

  /** Whether the bridge asked for a token on this page. */
  get authRequired() {
    return Boolean(this.hello?.auth_required);
  }

  /** Uses a (new) token: authenticates on the open socket or on a fresh one. */
  setToken(token) {
    this.#token = token;
    this.#awaitingToken = false;
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN && this.hello?.auth_required && !this.ready && !this.#authenticating) {
      this.#authenticate();
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#teardown(1000, { notify: true });
    this.#connect();
  }

  /** Forgets the token and asks for one again (sign out). */
  forgetToken() {
    this.#token = null;
    this.#awaitingToken = true;
    clearTimeout(this.#retryTimer);
    this.#teardown(1000, { notify: true });
    this.#connect();
  }

  /**
   * Sends a request and resolves with its result message (never rejects): `{ok: true, data}` or
   * `{ok: false, error: {code, message}}`; codes `offline`, `connection_lost` and `timeout` are local.
   */
  request(type, fields = {}, { timeout = DEFAULT_TIMEOUT_MS, beforeReady = false } = {}) {
    const ws = this.#ws;
    const id = this.#nextId++;
    if (!ws || ws.readyState !== WebSocket.OPEN || (!this.ready && !beforeReady)) {
      return Promise.resolve(failure(id, 'offline', 'not connected to the bridge'));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#pending.delete(id)) resolve(failure(id, 'timeout', 'the bridge did not answer in time'));
      }, timeout);
      this.#pending.set(id, { resolve, timer });
      ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  #connect() {
    this.#retryTimer = null;
    if (this.#stopped) return;
    if (!this.#everReady) this.#emit('status', { state: 'connecting', attempt: this.#attempt });
    let ws;
    try {
      ws = new WebSocket(this.#url, ['pexbridge.v1']);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    this.hello = null;
    ws.addEventListener('message', (event) => {
      if (ws === this.#ws) this.#onFrame(event.data);
    });
    ws.addEventListener('close', (event) => {
      if (ws === this.#ws) this.#onClosed(event.code);
    });
  }

  #onFrame(text) {
    if (typeof text !== 'string') return;
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    switch (message.type) {
      case 'hello':
        this.#onHello(message);
        break;
      case 'result': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message);
        break;
      }
      case 'error':
        console.warn('pexbridge error', message.error);
        break;
      default:
        if (typeof message.session === 'string') this.#emit('event', message);
    }
  }

  #onHello(hello) {
    this.hello = hello;
    if (!hello.auth_required) {
      this.#becomeReady('controller');
    } else if (this.#token) {
      this.#authenticate();
    } else {
      this.#awaitingToken = true;
      this.#emit('status', { state: 'auth' });
      this.#emit('auth-required', { failed: false });
    }
  }

  async #authenticate() {
    const ws = this.#ws;
    this.#authenticating = true;
    const result = await this.request('auth', { token: this.#token }, { beforeReady: true, timeout: 15000 });
    this.#authenticating = false;
    if (ws !== this.#ws) return;
    if (result.ok) {
      this.#becomeReady(result.data?.role === 'observer' ? 'observer' : 'controller');
      return;
    }
    if (result.error?.code === 'connection_lost') return;
    // A refused token: the bridge ignores this socket from now on and closes it; wait for a new token.
    this.#token = null;
    this.#awaitingToken = true;
    this.#teardown(1000, { notify: true });
    this.#emit('status', { state: 'auth' });
    this.#emit('auth-required', { failed: true, error: result.error });
  }

  #becomeReady(role) {
    this.role = role;
    this.ready = true;
    this.#awaitingToken = false;
    const reconnected = this.#everReady;
    this.#everReady = true;
    this.#attempt = 0;
    this.#startPing();
    this.#emit('status', { state: 'online', reconnected, server: this.hello?.server });
    this.#emit('ready', { role, reconnected });
  }

  #onClosed(code) {
    this.#teardown(code, { notify: true });
    if (this.#stopped || this.#awaitingToken) return;
    this.#scheduleReconnect();
  }

  /** Drops the current socket: answers requests in flight, stops the keep-alive. */
  #teardown(code, { notify = false } = {}) {
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = null;
    const wasReady = this.ready;
    this.ready = false;
    this.#authenticating = false;
    clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.resolve(failure(id, 'connection_lost', 'the connection to the bridge was lost'));
    }
    this.#pending.clear();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      try {
        ws.close(1000);
      } catch {
        // Closing an already failing socket: nothing more to do.
      }
    }
    if (notify) this.#emit('disconnected', { code, wasReady });
  }

  #scheduleReconnect() {
    const base = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
    const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt += 1;
    this.#emit('status', { state: 'offline', attempt: this.#attempt, delayMs, everReady: this.#everReady });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #startPing() {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(async () => {
      const ws = this.#ws;
      const result = await this.request('ping', {}, { timeout: PING_TIMEOUT_MS });
      if (!result.ok && result.error.code === 'timeout' && ws === this.#ws) this.#onClosed(4000);
    }, PING_EVERY_MS);
  }
}
