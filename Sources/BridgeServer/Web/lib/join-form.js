// The join form: node, alias, display name, and the simulator's demo rooms when the bridge has them.
import { h, setText, show } from './dom.js';
import { errorText } from './format.js';

const ACCESS_TEXT = {
  open: 'No PIN',
  pin_required: 'PIN required',
  pin_optional: 'PIN or guest',
  reception: 'Virtual Reception',
  sso: 'Sign-in',
};

const STORAGE = { node: 'pexbridge.node', name: 'pexbridge.displayName' };

function remembered(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage disabled: the form still works, it just forgets.
  }
}

export class JoinForm {
  #form;
  #node;
  #alias;
  #name;
  #error;
  #submit;
  #rooms;
  #roomGrid;
  #aliasOptions;
  #onJoin;
  #demoNode = null;
  #busy = false;
  #online = false;

  /** `onJoin({node, alias, display_name})` resolves with the bridge's result. */
  constructor(root, { onJoin }) {
    this.#onJoin = onJoin;
    this.#form = root.querySelector('#join-form');
    this.#node = root.querySelector('#join-node');
    this.#alias = root.querySelector('#join-alias');
    this.#name = root.querySelector('#join-name');
    this.#error = root.querySelector('#join-error');
    this.#submit = root.querySelector('#join-submit');
    this.#rooms = root.querySelector('#demo-rooms');
    this.#roomGrid = root.querySelector('#demo-room-list');
    this.#aliasOptions = root.querySelector('#alias-options');

    this.#node.value = remembered(STORAGE.node) ?? '';
    this.#name.value = remembered(STORAGE.name) ?? 'Control room';
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#join();
    });
    this.#alias.addEventListener('input', () => this.#syncRoomChoice());
    this.#node.addEventListener('input', () => this.#syncRoomChoice());
    for (const input of [this.#node, this.#alias, this.#name]) {
      input.addEventListener('input', () => this.#clearInvalid(input));
    }
  }

  /** Shows the bridge's demo rooms (from /bridge.json) and prefills the form with them. */
  setBridgeInfo(info) {
    const rooms = info?.simulate ? info.demo_rooms ?? [] : [];
    this.#roomGrid.replaceChildren();
    this.#aliasOptions.replaceChildren();
    show(this.#rooms, rooms.length > 0);
    if (rooms.length === 0) {
      if (this.#demoNode && this.#node.value === this.#demoNode) this.#node.value = '';
      this.#demoNode = null;
      if (this.#node.value === 'simulator') this.#node.value = '';
      return;
    }
    this.#demoNode = 'simulator';
    for (const room of rooms) {
      const radio = h('input', { type: 'radio', name: 'demo-room', value: room.alias, class: 'room-radio' });
      radio.addEventListener('change', () => {
        if (!radio.checked) return;
        this.#node.value = this.#demoNode;
        this.#alias.value = room.alias;
        this.#clearInvalid(this.#node);
        this.#clearInvalid(this.#alias);
      });
      this.#roomGrid.append(
        h('label', { class: 'room', dataset: { access: room.access } },
          radio,
          h('span', { class: 'room-body' },
            h('span', { class: 'room-name', text: room.name || room.alias }),
            h('span', { class: 'room-alias', text: room.alias }),
            h('span', { class: `room-access access-${room.access}`, text: ACCESS_TEXT[room.access] ?? room.access }))),
      );
      this.#aliasOptions.append(h('option', { value: room.alias, label: room.name || room.alias }));
    }
    if (!this.#node.value || this.#node.value === this.#demoNode) this.#node.value = this.#demoNode;
    if (!this.#alias.value) this.#alias.value = rooms[0].alias;
    this.#syncRoomChoice();
  }

  /** Enables the form only while the bridge is connected. */
  setOnline(online) {
    this.#online = online;
    this.#updateSubmit();
  }

  /** Moves keyboard focus to the first field to fill. */
  focus() {
    const first = [this.#node, this.#alias, this.#name].find((input) => !input.value.trim()) ?? this.#submit;
    first.focus();
  }

  #updateSubmit() {
    this.#submit.disabled = this.#busy || !this.#online;
    this.#submit.setAttribute('aria-busy', String(this.#busy));
    setText(this.#submit, this.#busy ? 'Joining…' : 'Join');
  }

  #syncRoomChoice() {
    const useDemo = this.#node.value.trim() === this.#demoNode;
    for (const radio of this.#roomGrid.querySelectorAll('input[type=radio]')) {
      radio.checked = useDemo && radio.value === this.#alias.value.trim();
    }
  }

  #clearInvalid(input) {
    input.removeAttribute('aria-invalid');
    if (this.#error.dataset.field === input.id) {
      setText(this.#error, '');
      delete this.#error.dataset.field;
    }
  }

  #fail(text, input = null) {
    setText(this.#error, text);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      this.#error.dataset.field = input.id;
      input.focus();
    } else {
      delete this.#error.dataset.field;
    }
  }

  async #join() {
    if (this.#busy) return;
    const node = this.#node.value.trim();
    const alias = this.#alias.value.trim();
    const displayName = this.#name.value.trim();
    // Without a node, an alias name@domain lets the bridge find the node by DNS.
    const nodeNeeded = !alias.includes('@');
    for (const [value, input, what] of [[node, this.#node, 'the conference node'], [alias, this.#alias, 'the conference alias'], [displayName, this.#name, 'a display name']]) {
      if (!value && (input !== this.#node || nodeNeeded)) {
        this.#fail(`Enter ${what}.`, input);
        return;
      }
    }
    setText(this.#error, '');
    this.#busy = true;
    this.#updateSubmit();
    remember(STORAGE.node, node);
    remember(STORAGE.name, displayName);
    const result = await this.#onJoin({ ...(node ? { node } : {}), alias, display_name: displayName });
    this.#busy = false;
    this.#updateSubmit();
    if (!result.ok) this.#fail(errorText(result.error));
  }
}
