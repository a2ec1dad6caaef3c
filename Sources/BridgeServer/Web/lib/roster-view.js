// The live roster of one session: rows keyed by participant uuid, updated in place (so a row
// never appears twice and keyboard focus stays put), waiting-room participants in their own group,
// and per-participant host controls enabled from the session's capabilities.
import { attr, h, setText, show, srOnly, uid } from './dom.js';
import { hueOf, initials, protocolLabel, ROLE_LABELS } from './format.js';
import { icon } from './icons.js';
import { participantMenuItems } from './participant-menu.js';
import { MenuButton } from './menu-button.js';

const FLAGS = [
  ['muted', 'micOff', 'Muted'],
  ['presenting', 'screen', 'Presenting'],
  ['spotlight', 'star', 'Spotlight'],
  ['video_muted', 'videoOff', 'Video off'],
];
// Issue 11's flags, worked out from the session rather than read off the participant.
const LIVE_FLAGS = [['hand', 'hand', 'Hand raised'], ['speaking', 'mic', 'Speaking']];

class ParticipantRow {
  element;
  #avatar;
  #name;
  #you;
  #meta;
  #flags = new Map();
  #actions;
  #buttons = {};
  #names = [];
  #busy = new Set();
  #participant = null;
  #menu;
  #menuContext = null;

  constructor(onAction, tools = null) {
    this.#avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });
    this.#name = h('span', { class: 'person-name' });
    this.#you = h('span', { class: 'tag you-tag', text: 'you' });
    this.#meta = h('span', { class: 'person-meta' });
    const flagList = h('ul', { class: 'flags', 'aria-label': 'Status' });
    for (const [key, iconName, label] of [...FLAGS, ...LIVE_FLAGS, ['waiting', 'clock', 'Waiting']]) {
      const flag = h('li', { class: `flag flag-${key}` }, icon(iconName), h('span', { text: label }));
      flag.hidden = true;
      this.#flags.set(key, flag);
      flagList.append(flag);
    }
    const button = (name, className, iconName) => {
      const nameHolder = srOnly('');
      this.#names.push(nameHolder);
      const label = h('span', { class: iconName ? 'vh' : 'label' });
      const el = h('button', { type: 'button', class: `small ${className}` }, iconName ? icon(iconName) : null, label, nameHolder);
      el.addEventListener('click', () => this.#run(name, onAction));
      this.#buttons[name] = { el, label };
      return el;
    };
    this.#actions = h('div', { class: 'row-actions', role: 'group' },
      button('admit', 'primary act-admit'),
      button('mute', 'icon-button act-mute', 'mic'),
      button('spotlight', 'icon-button act-spotlight', 'star'),
      button('disconnect', 'icon-button danger-quiet act-disconnect', 'xCircle'));
    this.#menu = new MenuButton({
      label: 'More actions', className: 'act-more',
      items: () => (this.#menuContext && tools ? participantMenuItems({ ...this.#menuContext, ...tools, opener: this.#menu.button }) : []),
    });
    this.#actions.append(this.#menu.element);
    this.#menu.menu.classList.add('menu-inline');
    this.element = h('li', { class: 'person' },
      this.#avatar,
      h('div', { class: 'person-main' }, h('div', { class: 'person-line' }, this.#name, this.#you), this.#meta),
      flagList,
      this.#actions,
      this.#menu.menu);
  }

  async #run(name, onAction) {
    const participant = this.#participant;
    if (!participant || this.#busy.has(name)) return;
    const disconnecting = name === 'disconnect';
    if (disconnecting && !window.confirm(`Disconnect ${participant.display_name} from the conference?`)) return;
    this.#busy.add(name);
    this.#buttons[name].el.disabled = true;
    await onAction(name, participant);
    this.#busy.delete(name);
    this.#buttons[name].el.disabled = !(this.element.dataset.can ?? '').split(' ').includes(name);
  }

  update(participant, session, ctx) {
    this.#participant = participant;
    const name = participant.display_name || 'Unnamed';
    const waiting = participant.service_type === 'waiting_room';
    this.element.dataset.uuid = participant.uuid;
    this.element.classList.toggle('is-self', Boolean(participant.self));
    this.element.classList.toggle('is-waiting', waiting);
    setText(this.#avatar, initials(name));
    this.#avatar.style.setProperty('--hue', String(hueOf(participant.uuid || name)));
    setText(this.#name, name);
    show(this.#you, Boolean(participant.self));
    const meta = [ROLE_LABELS[participant.role] ?? participant.role, protocolLabel(participant.protocol)].filter(Boolean).join(' · ');
    setText(this.#meta, meta);
    for (const [key] of FLAGS) show(this.#flags.get(key), Boolean(participant[key]));
    show(this.#flags.get('waiting'), waiting);
    show(this.#flags.get('hand'), typeof participant.hand_raised_at === 'number');
    show(this.#flags.get('speaking'), Array.isArray(session.speakers) && session.speakers.includes(participant.uuid));
    this.element.classList.toggle('is-speaking', !this.#flags.get('speaking').hidden);
    for (const holder of this.#names) setText(holder, ` ${name}`);
    attr(this.#actions, 'aria-label', `Actions for ${name}`);

    const controls = ctx.online && !ctx.watchOnly;
    const can = {
      admit: controls && waiting && session.can('admit'),
      mute: controls && session.can('mute'),
      spotlight: controls && !waiting && session.can('spotlight'),
      disconnect: controls && !participant.self && session.can('disconnect_participant'),
    };
    this.element.dataset.can = Object.keys(can).filter((key) => can[key]).join(' ');
    const muteLabel = participant.muted ? 'Unmute' : 'Mute';
    setText(this.#buttons.mute.label, muteLabel);
    const muteButton = this.#buttons.mute.el;
    if (muteButton.dataset.muted !== String(Boolean(participant.muted))) {
      muteButton.dataset.muted = String(Boolean(participant.muted));
      muteButton.replaceChild(icon(participant.muted ? 'micOff' : 'mic'), muteButton.firstChild);
    }
    this.#buttons.mute.el.title = `${muteLabel} ${name}`;
    setText(this.#buttons.spotlight.label, 'Spotlight');
    attr(this.#buttons.spotlight.el, 'aria-pressed', participant.spotlight ? 'true' : 'false');
    this.#buttons.spotlight.el.title = participant.spotlight ? `Remove the spotlight from ${name}` : `Spotlight ${name}`;
    this.#buttons.disconnect.el.title = `Disconnect ${name}`;
    setText(this.#buttons.admit.label, 'Admit');
    setText(this.#buttons.disconnect.label, 'Disconnect');
    show(this.#buttons.admit.el, waiting);
    show(this.#buttons.spotlight.el, !waiting);
    show(this.#buttons.disconnect.el, !participant.self);
    for (const [key, { el }] of Object.entries(this.#buttons)) el.disabled = !can[key] || this.#busy.has(key);
    this.#menuContext = { participant, session, ctx };
    this.#menu.setLabel(`More actions for ${name}`);
    const menuItems = participantMenuItems({ participant, session, ctx, send: null });
    show(this.#menu.element, menuItems.length > 0);
    if (menuItems.length === 0) this.#menu.close({ focus: false });
  }
}

export class RosterView {
  element;
  #count;
  #inList;
  #waitingGroup;
  #waitingList;
  #waitingCount;
  #inTitle;
  #empty;
  #rows = new Map();
  #onAction;
  #tools;

  /**
   * `onAction(name, participant)` runs admit / mute / spotlight / disconnect and resolves when done;
   * `send(type, fields)` and `report(result)` serve the per-participant menu (issue 11's controls).
   */
  constructor({ onAction, send = null, report = null }) {
    this.#onAction = onAction;
    this.#tools = send ? { send, report } : null;
    const id = uid('roster');
    this.#count = h('span', { class: 'count', 'aria-label': '0 participants' });
    this.#waitingCount = h('span', { class: 'count' });
    this.#waitingList = h('ul', { class: 'people', 'aria-labelledby': `${id}-waiting` });
    this.#waitingGroup = h('div', { class: 'roster-group waiting-group' },
      h('h4', { id: `${id}-waiting`, class: 'group-title' }, icon('clock'), ' Waiting room ', this.#waitingCount),
      this.#waitingList);
    this.#inTitle = h('h4', { id: `${id}-in`, class: 'group-title' }, 'In the conference');
    this.#inList = h('ul', { class: 'people', 'aria-labelledby': `${id}-title` });
    this.#empty = h('p', { class: 'empty', text: 'No participants yet.' });
    this.element = h('section', { class: 'card roster', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'card-head' },
        h('h3', { id: `${id}-title` }, icon('users'), ' Participants'), this.#count),
      this.#waitingGroup,
      this.#inTitle,
      this.#empty,
      this.#inList);
  }

  update(session, ctx) {
    const hostly = ['admit', 'mute', 'spotlight', 'disconnect_participant', 'set_role', 'video_mute', 'overlay_text', 'transfer', 'dtmf']
      .some((name) => session.can(name));
    this.element.dataset.actions = hostly && !ctx.watchOnly ? 'some' : 'none';
    const ordered = [...session.participants.values()].sort((a, b) => Number(Boolean(b.self)) - Number(Boolean(a.self)));
    const waiting = [];
    const inside = [];
    for (const participant of ordered) (participant.service_type === 'waiting_room' ? waiting : inside).push(participant);

    for (const [uuid, row] of this.#rows) {
      if (!session.participants.has(uuid)) {
        row.element.remove();
        this.#rows.delete(uuid);
      }
    }
    this.#place(this.#waitingList, waiting, session, ctx);
    this.#place(this.#inList, inside, session, ctx);

    setText(this.#count, String(inside.length));
    attr(this.#count, 'aria-label', inside.length === 1 ? '1 participant' : `${inside.length} participants`);
    setText(this.#waitingCount, String(waiting.length));
    show(this.#waitingGroup, waiting.length > 0);
    show(this.#inTitle, waiting.length > 0);
    setText(this.#empty, waiting.length > 0 ? 'No one in the conference yet.' : 'No participants yet.');
    show(this.#empty, inside.length === 0);
  }

  #place(list, participants, session, ctx) {
    participants.forEach((participant, index) => {
      let row = this.#rows.get(participant.uuid);
      if (!row) {
        row = new ParticipantRow(this.#onAction, this.#tools);
        this.#rows.set(participant.uuid, row);
      }
      row.update(participant, session, ctx);
      if (list.children[index] !== row.element) list.insertBefore(row.element, list.children[index] ?? null);
    });
  }
}
