// The list of sessions the bridge holds (every client's, not only this page's): one button each,
// the selected one marked with aria-current.
import { attr, h, setText, show } from './dom.js';
import { ROLE_LABELS, STATE_LABELS } from './format.js';

export class SessionList {
  #list;
  #empty;
  #items = new Map();
  #onSelect;
  #selected = null;

  constructor(root, { onSelect }) {
    this.#list = root.querySelector('#session-list');
    this.#empty = root.querySelector('#session-empty');
    this.#onSelect = onSelect;
  }

  upsert(session) {
    let item = this.#items.get(session.id);
    if (!item) {
      const title = h('span', { class: 'tab-title' });
      const sub = h('span', { class: 'tab-sub' });
      const state = h('span', { class: 'badge state-badge' });
      const count = h('span', { class: 'tab-count' });
      const button = h('button', { type: 'button', class: 'session-tab', dataset: { session: session.id } },
        h('span', { class: 'tab-line' }, title, state), h('span', { class: 'tab-line' }, sub, count));
      button.addEventListener('click', () => this.#onSelect(session.id));
      item = { li: h('li', {}, button), button, title, sub, state, count };
      this.#items.set(session.id, item);
      this.#list.append(item.li);
    }
    setText(item.title, session.alias || session.id);
    const role = ROLE_LABELS[session.role];
    setText(item.sub, [session.display_name, role].filter(Boolean).join(' · '));
    setText(item.state, STATE_LABELS[session.state] ?? session.state);
    item.state.dataset.state = session.state;
    item.button.dataset.state = session.state;
    const people = [...session.participants.values()].filter((participant) => participant.service_type !== 'waiting_room').length;
    setText(item.count, session.state === 'connected' ? `${people} in call` : '');
    attr(item.button, 'aria-current', this.#selected === session.id ? 'true' : null);
    show(this.#empty, this.#items.size === 0);
  }

  remove(id) {
    const item = this.#items.get(id);
    if (!item) return;
    item.li.remove();
    this.#items.delete(id);
    show(this.#empty, this.#items.size === 0);
  }

  /** Marks the selected session (null: none). */
  select(id) {
    this.#selected = id;
    for (const [key, item] of this.#items) attr(item.button, 'aria-current', key === id ? 'true' : null);
  }

  /** The ids in display order. */
  ids() {
    return [...this.#items.keys()];
  }

  /** Focuses a session's button (after the selected one went away). */
  focus(id) {
    this.#items.get(id)?.button.focus();
  }
}
