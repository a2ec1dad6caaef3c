// Issue 11 on the session panel: who is speaking, who presents, raised hands and the layout, and the
// conference-wide tools (own hand, lower all hands, live captions, dial-out, layout picker, clear
// spotlights, guests may unmute). Every control shows only while its capability key is true; a
// bridge that sends none of these keys or fields shows none of this.
import { attr, h, setText, show, uid } from './dom.js';
import { icon } from './icons.js';
import { dialDialog } from './conference-dialogs.js';

const CAPTION_LINES = 3;
const LAYOUTS_RETRY_MS = 30000;

function names(people) {
  return people.map((participant) => participant.display_name || 'Unnamed').join(', ');
}

export class ConferenceTools {
  element;
  #send;
  #report;
  #rows = {};
  #buttons = {};
  #layoutPicker;
  #layoutSelect;
  #layoutApply;
  #captionsBox;
  #captionLines = [];
  #interim = '';
  #lastCaption = null;
  #renderedCaptions = '';
  #captionsOn = false;
  #layouts = null;
  #layoutsLoading = false;
  /** After a failed `layouts`, not again before this (performance.now() ms): events must not become requests. */
  #layoutsRetryAt = 0;
  #busy = new Set();
  #session = null;
  #ctx = null;

  /**
   * @param {{send: (type: string, fields: object) => Promise<object>, report: (result: object) => void}} options
   *   `send` sends a request for this session; `report` shows a failed result in the panel.
   */
  constructor({ send, report }) {
    this.#send = send;
    this.#report = report;
    const id = uid('tools');
    const row = (key, iconName, label) => {
      const value = h('dd');
      const el = h('div', { class: `act act-${key}` }, h('dt', {}, icon(iconName), h('span', { text: label })), value);
      el.hidden = true;
      this.#rows[key] = { el, value };
      return el;
    };
    const button = (key, className, iconName, run) => {
      const label = h('span');
      const el = h('button', { type: 'button', class: `secondary small ${className}` }, icon(iconName), label);
      el.hidden = true;
      el.addEventListener('click', () => run(el));
      this.#buttons[key] = { el, label };
      return el;
    };
    this.#layoutSelect = h('select', { id: `${id}-layout`, class: 'layout-select' });
    this.#layoutApply = h('button', { type: 'submit', class: 'secondary small layout-apply', text: 'Apply' });
    this.#layoutPicker = h('form', { class: 'layout-picker', novalidate: true },
      h('label', { for: `${id}-layout`, text: 'Layout' }), this.#layoutSelect, this.#layoutApply);
    this.#layoutPicker.hidden = true;
    this.#layoutPicker.addEventListener('submit', (event) => {
      event.preventDefault();
      const layout = this.#layoutSelect.value;
      if (layout) this.#run('set_layout', 'set_layout', { layout });
    });
    this.#captionsBox = h('div', {
      class: 'captions-box', role: 'log', 'aria-live': 'polite', 'aria-label': 'Live captions', tabindex: '0',
    });
    this.#captionsBox.hidden = true;

    this.element = h('section', { class: 'card conf-tools', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'card-head' }, h('h3', { id: `${id}-title` }, icon('users'), ' In the room')),
      h('dl', { class: 'activity' },
        row('speaking', 'mic', 'Speaking'),
        row('presenter', 'screen', 'Presenting'),
        row('hands', 'hand', 'Hands up'),
        row('layout', 'layout', 'Layout')),
      h('div', { class: 'tool-row', role: 'group', 'aria-label': 'Conference tools' },
        button('hand', 'ctl-hand', 'hand', () => this.#toggleHand()),
        button('lower_all_hands', 'ctl-lower-all', 'hand', () => this.#run('lower_all_hands', 'lower_all_hands', {})),
        button('captions', 'ctl-captions', 'captions', () => this.#toggleCaptions()),
        button('dial', 'ctl-dial', 'phone', (el) => dialDialog({
          opener: el, send: (type, fields) => this.#send(type, fields),
        })),
        button('clear_spotlights', 'ctl-clear-spotlights', 'star', () => this.#run('clear_spotlights', 'clear_spotlights', {})),
        button('guests_can_unmute', 'ctl-guests-unmute', 'mic', () => this.#run('guests_can_unmute', 'guests_can_unmute', {
          allowed: !this.#session?.conference?.guests_can_unmute,
        }))),
      this.#layoutPicker,
      this.#captionsBox);
  }

  update(session, ctx) {
    this.#session = session;
    this.#ctx = ctx;
    const people = [...session.participants.values()];
    const controls = ctx.online && !ctx.watchOnly;
    const can = (name) => controls && session.can(name);

    // What is going on (shown to everyone, observers included).
    const speakers = Array.isArray(session.speakers)
      ? session.speakers.map((uuid) => session.participants.get(uuid)).filter(Boolean) : null;
    this.#setRow('speaking', speakers !== null, speakers?.length ? names(speakers) : 'No one');
    const presenter = session.presentation
      ? (session.presentation.active ? session.presentation.presenter : null)
      : people.find((participant) => participant.presenting) ?? null;
    this.#setRow('presenter', Boolean(session.presentation) || people.some((p) => 'presenting' in p),
      presenter ? presenter.display_name || 'Someone' : 'No one');
    const handsKnown = people.some((participant) => 'hand_raised_at' in participant);
    const hands = people.filter((participant) => typeof participant.hand_raised_at === 'number')
      .sort((a, b) => a.hand_raised_at - b.hand_raised_at);
    this.#setRow('hands', handsKnown, hands.length ? names(hands) : 'None');
    const layout = session.layout;
    this.#setRow('layout', Boolean(layout?.layout || layout?.host_layout),
      [layout?.layout, layout?.host_layout && `hosts: ${layout.host_layout}`, layout?.guest_layout && `guests: ${layout.guest_layout}`]
        .filter(Boolean).join(' · '));

    // Own hand: raise while it is down, lower while it is up.
    const raised = typeof session.self?.hand_raised_at === 'number';
    this.#setButton('hand', raised ? can('lower_hand') : can('raise_hand'), raised ? 'Lower my hand' : 'Raise hand');
    attr(this.#buttons.hand.el, 'aria-pressed', raised ? 'true' : 'false');
    this.#setButton('lower_all_hands', can('lower_all_hands') && hands.length > 0, 'Lower all hands');
    this.#setButton('captions', can('captions'), 'Captions');
    attr(this.#buttons.captions.el, 'aria-pressed', this.#captionsOn ? 'true' : 'false');
    this.#setButton('dial', can('dial'), 'Dial out…');
    this.#setButton('clear_spotlights', can('clear_spotlights') && people.some((p) => p.spotlight), 'Clear spotlights');
    const guestsMay = Boolean(session.conference?.guests_can_unmute);
    this.#setButton('guests_can_unmute', can('guests_can_unmute'), 'Guests may unmute');
    attr(this.#buttons.guests_can_unmute.el, 'aria-pressed', guestsMay ? 'true' : 'false');

    // The layout picker, filled from the node's list once per session (again after a failure).
    if (can('layouts') && this.#layouts === null && !this.#layoutsLoading && performance.now() >= this.#layoutsRetryAt) {
      this.#loadLayouts();
    }
    const picking = can('set_layout') && Array.isArray(this.#layouts) && this.#layouts.length > 0;
    show(this.#layoutPicker, picking);
    this.#layoutApply.disabled = this.#busy.has('set_layout');
    if (picking && document.activeElement !== this.#layoutSelect) {
      const current = layout?.layout ?? '';
      if (this.#layouts.includes(current) && this.#layoutSelect.value !== current) this.#layoutSelect.value = current;
    }

    this.#updateCaptions(session);
    const anything = Object.values(this.#rows).some((r) => !r.el.hidden)
      || Object.values(this.#buttons).some((b) => !b.el.hidden) || picking;
    show(this.element, anything);
  }

  #setRow(key, visible, text) {
    const { el, value } = this.#rows[key];
    show(el, visible);
    setText(value, text);
    el.classList.toggle('is-on', visible && text !== 'No one' && text !== 'None');
  }

  #setButton(key, visible, text) {
    const { el, label } = this.#buttons[key];
    show(el, visible);
    setText(label, text);
    el.disabled = this.#busy.has(key);
  }

  async #loadLayouts() {
    this.#layoutsLoading = true;
    const result = await this.#send('layouts', {});
    this.#layoutsLoading = false;
    const list = result.ok && Array.isArray(result.data?.layouts) ? result.data.layouts.map(String) : null;
    // A failure leaves the picker hidden; an update after LAYOUTS_RETRY_MS asks again.
    this.#layouts = list;
    if (!list) this.#layoutsRetryAt = performance.now() + LAYOUTS_RETRY_MS;
    if (list) {
      this.#layoutSelect.replaceChildren(...list.map((name) => h('option', { value: name, text: name })));
    }
    if (this.#session) this.update(this.#session, this.#ctx);
  }

  #toggleHand() {
    const raised = typeof this.#session?.self?.hand_raised_at === 'number';
    this.#run('hand', raised ? 'lower_hand' : 'raise_hand', {});
  }

  async #toggleCaptions() {
    const on = !this.#captionsOn;
    const result = await this.#run('captions', 'captions', { on });
    if (result?.ok) {
      this.#captionsOn = on;
      if (!on) {
        this.#captionLines = [];
        this.#interim = '';
      }
      if (this.#session) this.update(this.#session, this.#ctx);
    }
  }

  #updateCaptions(session) {
    const caption = session.captions;
    if (caption && caption !== this.#lastCaption) {
      this.#lastCaption = caption;
      if (caption.final) {
        this.#captionLines.push(caption.text);
        this.#captionLines = this.#captionLines.slice(-CAPTION_LINES);
        this.#interim = '';
      } else {
        this.#interim = caption.text;
      }
    }
    const lines = [...this.#captionLines, this.#interim].filter(Boolean);
    show(this.#captionsBox, this.#captionsOn);
    const text = lines.length ? lines.join('\n') : 'Captions are on: waiting for someone to speak…';
    const key = `${this.#interim ? 'i' : 'f'}${text}`;
    if (this.#renderedCaptions !== key) {
      this.#renderedCaptions = key;
      this.#captionsBox.replaceChildren(...(lines.length
        ? lines.map((line, index) => h('p', { class: index === lines.length - 1 && this.#interim ? 'caption interim' : 'caption', text: line }))
        : [h('p', { class: 'caption muted', text })]));
    }
  }

  async #run(busyKey, type, fields) {
    if (this.#busy.has(busyKey)) return null;
    this.#busy.add(busyKey);
    if (this.#session) this.update(this.#session, this.#ctx);
    const result = await this.#send(type, fields);
    this.#busy.delete(busyKey);
    this.#report(result);
    if (this.#session) this.update(this.#session, this.#ctx);
    return result;
  }
}
