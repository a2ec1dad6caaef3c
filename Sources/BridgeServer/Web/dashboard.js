// pexbridge's wall dashboard (/dashboard): every session the bridge holds as a live tile, for a
// screen in a control room. It only follows (subscribe, ping), so an observer token is enough; the
// token comes from the address (`#token=…`, taken out of the address bar at once) or a prompt, and
// is kept for this tab like the main page keeps it. It reconnects by itself with backoff, resumes
// each session from its last seq, and says plainly while it is showing the last known state.
import { BridgeClient } from './lib/bridge-client.js';
import { DashboardTiles } from './lib/dashboard-tiles.js';
import { setText, show } from './lib/dom.js';
import { errorText } from './lib/format.js';
import { SessionStore } from './lib/session-store.js';
import { SessionSync } from './lib/session-sync.js';

const TOKEN_KEY = 'pexbridge.token';
const CLOCK_EVERY_MS = 10000;

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

/** A token handed over in the fragment (never sent to the server), removed from the address bar. */
function tokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return token;
}

async function loadBridgeInfo() {
  try {
    const response = await fetch('bridge.json', { cache: 'no-store' });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

class Dashboard {
  #client;
  #store = new SessionStore();
  #tiles;
  #sync;
  #pendingToken = null;
  #everOnline = false;

  async start() {
    this.#tiles = new DashboardTiles($('#wall-tiles'), $('#wall-empty'));
    this.#store.addEventListener('added', (event) => this.#onChanged(event.detail.session));
    this.#store.addEventListener('changed', (event) => this.#onChanged(event.detail.session));
    this.#store.addEventListener('removed', (event) => {
      this.#tiles.remove(event.detail.session.id);
      this.#totals();
    });
    $('#wall-auth-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitToken();
    });
    $('#wall-retry').addEventListener('click', () => this.#client.retryNow());
    $('#wall-sign-out').addEventListener('click', () => {
      storeToken(null);
      this.#store.clear();
      this.#client.forgetToken();
    });
    const fullscreen = $('#wall-fullscreen');
    show(fullscreen, Boolean(document.fullscreenEnabled));
    fullscreen.addEventListener('click', () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
    });
    document.addEventListener('fullscreenchange', () => {
      setText(fullscreen, document.fullscreenElement ? 'Exit full screen' : 'Full screen');
    });
    this.#tick();
    setInterval(() => this.#tick(), CLOCK_EVERY_MS);

    const handed = tokenFromFragment();
    if (handed) this.#pendingToken = handed;
    const info = await loadBridgeInfo();
    const path = info?.websocket_path ?? '/ws';
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
    this.#client = new BridgeClient(url, { token: handed ?? storedToken() });
    this.#sync = new SessionSync(this.#client, this.#store, { include: ['speakers'] });
    this.#sync.addEventListener('synced', () => this.#refreshAll());
    this.#sync.addEventListener('failed', (event) => this.#say(`Could not follow the sessions: ${errorText(event.detail.error)}`));
    this.#client.addEventListener('status', (event) => this.#onStatus(event.detail));
    this.#client.addEventListener('auth-required', (event) => this.#onAuthRequired(event.detail));
    this.#client.addEventListener('ready', (event) => this.#onReady(event.detail));
    this.#client.addEventListener('disconnected', () => this.#refreshAll());
    this.#client.start();
  }

  get #ctx() {
    return { online: Boolean(this.#client?.ready) };
  }

  #mode(mode) {
    document.body.dataset.mode = mode;
    show($('#wall-auth'), mode === 'auth');
  }

  #onStatus(status) {
    const box = $('#wall-status');
    box.dataset.state = status.state;
    let text;
    switch (status.state) {
      case 'connecting': text = 'Connecting to the bridge…'; break;
      case 'auth': text = 'Sign-in needed'; break;
      case 'online': text = status.reconnected ? 'Live: reconnected' : 'Live'; break;
      case 'offline': text = status.everReady ? `Reconnecting… (attempt ${status.attempt})` : `Cannot reach the bridge: retrying (attempt ${status.attempt})`; break;
      default: text = status.state;
    }
    setText($('#wall-status-text'), text);
    const offline = status.state === 'offline' || (status.state === 'connecting' && this.#everOnline);
    show($('#wall-retry'), status.state === 'offline');
    show($('#wall-offline'), offline);
    if (offline) {
      const seconds = status.delayMs ? Math.max(1, Math.round(status.delayMs / 1000)) : null;
      setText($('#wall-offline-text'), this.#everOnline
        ? `Reconnecting to the bridge${seconds ? `: next try in ${seconds} s.` : '…'} The tiles show the last known state.`
        : `Cannot reach the bridge${seconds ? `: next try in ${seconds} s.` : '…'}`);
    }
    document.body.classList.toggle('is-offline', offline);
  }

  #onAuthRequired({ failed, error }) {
    storeToken(null);
    this.#pendingToken = null;
    this.#mode('auth');
    const submit = $('#wall-auth-submit');
    submit.disabled = false;
    setText(submit, 'Sign in');
    setText($('#wall-auth-error'), !failed ? '' : error?.code === 'unauthorized' ? 'The bridge did not accept this token.' : errorText(error));
    const input = $('#wall-token');
    input.toggleAttribute('aria-invalid', Boolean(failed));
    input.value = '';
    input.focus();
  }

  #submitToken() {
    const input = $('#wall-token');
    const token = input.value.trim();
    if (!token) {
      setText($('#wall-auth-error'), 'Enter the access token.');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.value = '';
    this.#pendingToken = token;
    setText($('#wall-auth-error'), '');
    const submit = $('#wall-auth-submit');
    submit.disabled = true;
    setText(submit, 'Signing in…');
    this.#client.setToken(token);
  }

  #onReady() {
    const wasAuth = document.body.dataset.mode === 'auth';
    this.#everOnline = true;
    if (this.#pendingToken) storeToken(this.#pendingToken);
    this.#pendingToken = null;
    show($('#wall-sign-out'), this.#client.authRequired);
    this.#mode('wall');
    this.#refreshAll();
    if (wasAuth) $('#main').focus();
  }

  #onChanged(session) {
    this.#tiles.upsert(session, this.#ctx);
    this.#totals();
  }

  #refreshAll() {
    this.#tiles.refresh(this.#store.list(), this.#ctx);
    this.#totals();
  }

  /** The header's one-line summary of the whole bridge. */
  #totals() {
    const sessions = this.#store.list();
    let people = 0;
    let hands = 0;
    for (const session of sessions) {
      if (session.state !== 'connected') continue;
      for (const participant of session.participants.values()) {
        if (participant.service_type !== 'waiting_room') people += 1;
        if (typeof participant.hand_raised_at === 'number') hands += 1;
      }
    }
    const parts = [sessions.length === 1 ? '1 session' : `${sessions.length} sessions`, `${people} in calls`];
    if (hands > 0) parts.push(hands === 1 ? '1 hand up' : `${hands} hands up`);
    setText($('#wall-totals'), parts.join(' · '));
  }

  #say(text) {
    setText($('#wall-status-text'), text);
  }

  #tick() {
    const now = new Date();
    const clock = $('#wall-clock');
    setText(clock, now.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));
    clock.setAttribute('datetime', now.toISOString());
  }
}

new Dashboard().start();
