// One session's panel: its header (state, role, leave), the PIN challenge or the connected view
// (conference status, host controls, roster, chat). Built once, updated in place.
import { attr, h, setText, show, uid } from './dom.js';
import { errorText, ROLE_LABELS, STATE_LABELS } from './format.js';
import { icon } from './icons.js';
import { ChatView } from './chat-view.js';
import { ConferenceTools } from './conference-tools.js';
import { PinPanel } from './pin-panel.js';
import { RosterView } from './roster-view.js';
import { TransferNotice, WAY_IN_STATES, WayInPanel } from './way-in-panel.js';

const PARTICIPANT_ACTIONS = {
  admit: () => ['admit', {}],
  mute: (participant) => [participant.muted ? 'unmute' : 'mute', {}],
  spotlight: (participant) => ['spotlight', { on: !participant.spotlight }],
  disconnect: () => ['disconnect_participant', {}],
};

export class SessionView {
  element;
  #id;
  #request;
  #title;
  #sub;
  #stateBadge;
  #roleBadge;
  #leave;
  #leaveLabel;
  #alert;
  #offline;
  #upstream;
  #connecting;
  #pin;
  #wayIn;
  #transfer = new TransferNotice();
  #connected;
  #lockChip;
  #guestsChip;
  #startedChip;
  #selfWaiting;
  #controls = {};
  #controlsGroup;
  #controlsNote;
  #roster;
  #chat;
  #tools;
  #busy = new Set();
  #session = null;
  #ctx = null;

  /** `request(type, fields)` sends a request for this session and resolves with the result. */
  constructor(session, { request }) {
    this.#id = session.id;
    this.#request = request;
    const id = uid('session');
    this.#title = h('h2', { id: `${id}-title`, class: 'session-title', tabindex: '-1' });
    this.#sub = h('p', { class: 'session-sub' });
    this.#stateBadge = h('span', { class: 'badge state-badge' });
    this.#roleBadge = h('span', { class: 'badge role-badge' });
    this.#leaveLabel = h('span', { text: 'Leave' });
    this.#leave = h('button', { type: 'button', class: 'secondary leave' }, icon('leave'), this.#leaveLabel);
    this.#leave.addEventListener('click', () => this.#run('leave', 'leave'));
    this.#alert = h('p', { class: 'banner banner-error session-alert', role: 'alert' });
    this.#offline = h('p', { class: 'banner banner-warn' }, icon('alert'),
      ' The bridge is offline: this is the last known state. Controls come back when it does.');
    this.#upstream = h('p', { class: 'banner banner-warn upstream-banner', role: 'status' });
    this.#connecting = h('div', { class: 'card connecting' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('p', { class: 'connecting-text' }));

    this.#pin = new PinPanel({ onSubmit: (pin) => this.#request(this.#id, 'pin', { pin }, { timeout: 60000 }) });
    this.#wayIn = new WayInPanel({ send: (type, fields) => this.#request(this.#id, type, fields, { timeout: 60000 }) });

    this.#lockChip = h('li', { class: 'chip chip-lock' });
    this.#guestsChip = h('li', { class: 'chip chip-guests' });
    this.#startedChip = h('li', { class: 'chip chip-started chip-warn' }, icon('clock'), h('span', { text: 'Waiting for a host to start' }));
    const control = (name, className) => {
      const label = h('span');
      const el = h('button', { type: 'button', class: className }, label);
      this.#controls[name] = { el, label };
      return el;
    };
    this.#controlsNote = h('p', { class: 'controls-note' });
    this.#controlsGroup = h('div', { class: 'host-controls', role: 'group', 'aria-label': 'Host controls' },
      control('lock', 'secondary ctl-lock'),
      control('mute_guests', 'secondary ctl-mute-guests'),
      control('start_conference', 'primary ctl-start'),
      control('disconnect_all', 'danger-quiet ctl-disconnect-all'));
    this.#controls.lock.el.addEventListener('click', () => this.#run('lock', this.#session?.conference?.locked ? 'unlock' : 'lock'));
    this.#controls.mute_guests.el.addEventListener('click', () => this.#run('mute_guests', this.#session?.conference?.guests_muted ? 'unmute_guests' : 'mute_guests'));
    this.#controls.start_conference.el.addEventListener('click', () => this.#run('start_conference', 'start_conference'));
    this.#controls.disconnect_all.el.addEventListener('click', () => {
      if (window.confirm('Disconnect everyone from the conference? The conference ends for all participants.')) {
        this.#run('disconnect_all', 'disconnect_all');
      }
    });
    this.#selfWaiting = h('p', { class: 'banner banner-info' }, icon('clock'),
      ' You are in the waiting room: a host has to let you in or start the conference.');

    this.#roster = new RosterView({
      onAction: async (name, participant) => {
        const [type, extra] = PARTICIPANT_ACTIONS[name](participant);
        const result = await this.#request(this.#id, type, { participant: participant.uuid, ...extra });
        this.#report(result);
        return result;
      },
      send: (type, fields) => this.#request(this.#id, type, fields),
      report: (result) => this.#report(result),
    });
    this.#tools = new ConferenceTools({
      send: (type, fields) => this.#request(this.#id, type, fields, type === 'dial' ? { timeout: 60000 } : undefined),
      report: (result) => this.#report(result),
    });
    this.#chat = new ChatView({
      // A pending copy shows at once; the bridge's echo (it comes before the result) replaces it.
      onSend: async (text) => {
        const session = this.#session;
        const key = session?.addLocalMessage(text);
        if (session) this.#chat.update(session, this.#ctx);
        const result = await this.#request(this.#id, 'send_message', { text });
        if (key) session.settleLocalMessage(key, result);
        return result;
      },
    });

    this.#connected = h('div', { class: 'connected-view' },
      this.#selfWaiting,
      h('section', { class: 'card conf-bar', 'aria-label': 'Conference' },
        h('ul', { class: 'conf-status', 'aria-label': 'Conference status' }, this.#lockChip, this.#guestsChip, this.#startedChip),
        h('div', { class: 'conf-controls' }, this.#controlsGroup, this.#controlsNote)),
      this.#tools.element,
      h('div', { class: 'session-columns' }, this.#roster.element, this.#chat.element));

    this.element = h('section', { class: 'session-panel', 'aria-labelledby': `${id}-title`, dataset: { session: session.id } },
      h('header', { class: 'session-head' },
        h('div', { class: 'session-titles' }, this.#title, this.#sub),
        h('div', { class: 'session-badges' }, this.#stateBadge, this.#roleBadge),
        this.#leave),
      this.#offline, this.#alert, this.#upstream, this.#transfer.element,
      this.#connecting, this.#pin.element, this.#wayIn.element, this.#connected);
  }

  /** Moves focus to what needs the user: the PIN field in a PIN state, else the title. */
  focus() {
    if (this.#session && ['pin_required', 'pin_optional'].includes(this.#session.state) && !this.#ctx?.watchOnly) this.#pin.focus();
    else if (this.#session && WAY_IN_STATES.has(this.#session.state) && !this.#ctx?.watchOnly) this.#wayIn.focus();
    else this.#title.focus();
  }

  update(session, ctx) {
    this.#session = session;
    this.#ctx = ctx;
    const { state } = session;
    this.element.dataset.state = state;
    setText(this.#title, session.alias || session.id);
    setText(this.#sub, [session.display_name && `as ${session.display_name}`, session.node && `on ${session.node}`].filter(Boolean).join(' · '));
    setText(this.#stateBadge, STATE_LABELS[state] ?? state);
    this.#stateBadge.dataset.state = state;
    setText(this.#roleBadge, ROLE_LABELS[session.role] ?? '');
    show(this.#roleBadge, Boolean(session.role));
    this.#roleBadge.dataset.role = session.role ?? '';
    this.#leave.disabled = !ctx.online || ctx.watchOnly || !session.can('leave') || this.#busy.has('leave');
    show(this.#leave, !ctx.watchOnly);
    // Before the conference lets us in, leaving is cancelling the join.
    setText(this.#leaveLabel, state === 'connected' ? 'Leave' : 'Cancel');
    show(this.#offline, !ctx.online);
    show(this.#alert, Boolean(this.#alert.textContent));

    const upstream = session.upstream;
    const upstreamTrouble = upstream && upstream.status !== 'ok';
    setText(this.#upstream, !upstreamTrouble ? '' : upstream.status === 'reconnecting'
      ? `The conference node's event stream dropped; reconnecting${upstream.attempt ? ` (attempt ${upstream.attempt})` : ''}…`
      : 'The conference node did not refresh the session token; the session may end soon.');
    show(this.#upstream, Boolean(upstreamTrouble));

    show(this.#connecting, state === 'connecting');
    setText(this.#connecting.querySelector('.connecting-text'), `Connecting to ${session.alias}…`);
    const inPin = state === 'pin_required' || state === 'pin_optional';
    show(this.#pin.element, inPin);
    if (inPin) this.#pin.update(session, ctx);
    show(this.#wayIn.element, WAY_IN_STATES.has(state));
    if (WAY_IN_STATES.has(state)) this.#wayIn.update(session, ctx);
    this.#transfer.update(session);
    show(this.#connected, state === 'connected');
    if (state === 'connected') this.#updateConnected(session, ctx);
  }

  #updateConnected(session, ctx) {
    const conference = session.conference;
    const locked = Boolean(conference?.locked);
    const guestsMuted = Boolean(conference?.guests_muted);
    this.#lockChip.replaceChildren(icon(locked ? 'lock' : 'unlock'), h('span', { text: locked ? 'Locked' : 'Unlocked' }));
    this.#lockChip.classList.toggle('chip-on', locked);
    this.#guestsChip.replaceChildren(icon(guestsMuted ? 'micOff' : 'mic'), h('span', { text: guestsMuted ? 'Guests muted' : 'Guests can speak' }));
    this.#guestsChip.classList.toggle('chip-on', guestsMuted);
    show(this.#startedChip, Boolean(conference) && conference.started === false);
    show(this.#selfWaiting, session.self?.service_type === 'waiting_room');

    const controls = ctx.online && !ctx.watchOnly;
    const labels = {
      lock: locked ? 'Unlock' : 'Lock',
      mute_guests: guestsMuted ? 'Unmute guests' : 'Mute guests',
      start_conference: 'Start conference',
      disconnect_all: 'Disconnect all',
    };
    for (const [name, { el, label }] of Object.entries(this.#controls)) {
      setText(label, labels[name]);
      el.disabled = !controls || !session.can(name) || this.#busy.has(name);
    }
    attr(this.#controls.lock.el, 'aria-pressed', locked ? 'true' : 'false');
    attr(this.#controls.mute_guests.el, 'aria-pressed', guestsMuted ? 'true' : 'false');
    show(this.#controls.start_conference.el, Boolean(conference) && conference.started === false);
    const hostly = ['lock', 'mute_guests', 'disconnect_all'].some((name) => session.can(name));
    const note = ctx.watchOnly ? 'Watch only: controls need a controller token.'
      : !hostly ? 'Host controls need the host role (join with the host PIN).' : '';
    setText(this.#controlsNote, note);
    show(this.#controlsNote, Boolean(note));
    // A guest has no use for a row of dead buttons; an observer sees what a controller could do.
    show(this.#controlsGroup, hostly || ctx.watchOnly);

    this.#tools.update(session, ctx);
    this.#roster.update(session, ctx);
    this.#chat.update(session, ctx);
  }

  #report(result) {
    setText(this.#alert, result.ok ? '' : errorText(result.error));
    show(this.#alert, !result.ok);
  }

  async #run(busyKey, type) {
    if (this.#busy.has(busyKey)) return;
    this.#busy.add(busyKey);
    if (this.#session) this.update(this.#session, this.#ctx);
    const result = await this.#request(this.#id, type, {});
    this.#busy.delete(busyKey);
    this.#report(result);
    if (this.#session) this.update(this.#session, this.#ctx);
  }
}
