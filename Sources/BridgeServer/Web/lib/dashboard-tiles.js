// The wall dashboard's tiles: one per session the bridge holds, updated in place (a tile never
// appears twice and keyboard focus stays put), sized so every tile fits on the screen when it can.
// Each tile says what a control room looks for from across the room: the state, how many are in the
// call, raised hands, who is speaking, who presents, locked / guests muted, and the node link's
// health. Fields an older bridge does not send (hands, speakers, presentation) leave their line out.
import { h, setText, show, srOnly, uid } from './dom.js';
import { ROLE_LABELS, STATE_LABELS } from './format.js';
import { icon } from './icons.js';

/** Tile width over height: the grid picks the most columns that still let every tile fit at this shape. */
const TILE_ASPECT = 1.6;
const MIN_TILE_PX = 260;
const NAMES_SHOWN = 3;

/** Names for a list of participants: "Ann, Bob and 2 more". */
function namesText(people) {
  const names = people.map((participant) => participant.display_name || 'Unnamed');
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${names.length - NAMES_SHOWN} more`;
}

/** What a tile shows, derived from the session alone (the tests read the same rules off the DOM). */
export function tileFacts(session) {
  const people = [...session.participants.values()];
  const inCall = people.filter((participant) => participant.service_type !== 'waiting_room');
  const waiting = people.length - inCall.length;
  const handsKnown = people.some((participant) => 'hand_raised_at' in participant);
  const hands = people
    .filter((participant) => typeof participant.hand_raised_at === 'number')
    .sort((a, b) => a.hand_raised_at - b.hand_raised_at);
  const speakers = Array.isArray(session.speakers)
    ? session.speakers.map((uuid) => session.participants.get(uuid)).filter(Boolean)
    : null;
  // The presentation event names the presenter; an older bridge only flags the participant.
  let presenter = null;
  if (session.presentation) {
    presenter = session.presentation.active ? session.presentation.presenter ?? { display_name: 'Someone' } : null;
  } else {
    presenter = people.find((participant) => participant.presenting) ?? null;
  }
  const upstream = session.upstream?.status && session.upstream.status !== 'ok' ? session.upstream : null;
  return {
    inCall: inCall.length, waiting, handsKnown, hands, speakers, presenter, upstream,
    locked: Boolean(session.conference?.locked), guestsMuted: Boolean(session.conference?.guests_muted),
  };
}

function upstreamText(upstream) {
  if (!upstream) return 'Node link OK';
  if (upstream.status === 'reconnecting') return `Node link lost${upstream.attempt ? ` (retry ${upstream.attempt})` : ''}`;
  if (upstream.status === 'token_refresh_failed') return 'Node token not refreshed';
  if (upstream.status === 'handover') return 'Moving to another bridge instance';
  return `Node link: ${upstream.status}`;
}

class Tile {
  element;
  article;
  #title;
  #state;
  #sub;
  #count;
  #countLabel;
  #waiting;
  #facts = {};
  #chips = {};

  constructor(session) {
    const id = uid('tile');
    this.#title = h('h2', { id: `${id}-title`, class: 'tile-title' });
    this.#state = h('span', { class: 'tile-state' });
    this.#sub = h('p', { class: 'tile-sub' });
    this.#count = h('span', { class: 'count-num' });
    this.#countLabel = h('span', { class: 'count-label' });
    this.#waiting = h('span', { class: 'count-waiting' });
    const fact = (key, iconName, label) => {
      const value = h('dd', { class: 'fact-value' });
      // The icon says it across the room; the word is for screen readers (and the tooltip).
      const row = h('div', { class: `fact fact-${key}`, title: label }, h('dt', {}, icon(iconName), srOnly(`${label}:`)), value);
      this.#facts[key] = { row, value };
      return row;
    };
    const chip = (key, className) => {
      const label = h('span');
      const el = h('li', { class: `tile-chip ${className}` }, label);
      this.#chips[key] = { el, label };
      return el;
    };
    this.article = h('article', { class: 'tile', tabindex: '0', 'aria-labelledby': `${id}-title`, dataset: { session: session.id } },
      h('header', { class: 'tile-head' }, this.#title, this.#state),
      this.#sub,
      h('div', { class: 'tile-body' },
        h('p', { class: 'tile-count' }, this.#count, ' ', this.#countLabel, this.#waiting),
        h('dl', { class: 'tile-facts' },
          fact('speaking', 'mic', 'Speaking'),
          fact('presenter', 'screen', 'Presenting'),
          fact('hands', 'hand', 'Hands'))),
      h('ul', { class: 'tile-chips', 'aria-label': 'Conference status' },
        chip('locked', 'chip-locked'), chip('muted', 'chip-muted'), chip('upstream', 'chip-upstream')));
    this.element = h('li', { class: 'tile-item' }, this.article);
  }

  update(session, ctx) {
    const facts = tileFacts(session);
    const connected = session.state === 'connected';
    const el = this.article;
    el.dataset.state = session.state;
    el.dataset.health = !ctx.online ? 'stale' : facts.upstream ? 'warn' : 'ok';
    setText(this.#title, session.alias || session.id);
    setText(this.#state, STATE_LABELS[session.state] ?? session.state);
    this.#state.dataset.state = session.state;
    const role = ROLE_LABELS[session.role];
    setText(this.#sub, [session.display_name && `as ${session.display_name}`, role].filter(Boolean).join(' · '));

    setText(this.#count, connected ? String(facts.inCall) : '–');
    const waitingFor = { pin_required: 'needs a PIN', pin_optional: 'needs a PIN', connecting: 'joining…' };
    setText(this.#countLabel, connected ? 'in call' : waitingFor[session.state] ?? '');
    setText(this.#waiting, facts.waiting > 0 ? ` · ${facts.waiting} waiting` : '');
    el.dataset.count = connected ? String(facts.inCall) : '';

    const speaking = this.#facts.speaking;
    show(speaking.row, connected && facts.speakers !== null);
    setText(speaking.value, facts.speakers?.length ? namesText(facts.speakers) : 'No one speaking');
    speaking.row.classList.toggle('is-on', Boolean(facts.speakers?.length));

    const presenter = this.#facts.presenter;
    show(presenter.row, connected);
    setText(presenter.value, facts.presenter ? facts.presenter.display_name || 'Unnamed' : 'No one presenting');
    presenter.row.classList.toggle('is-on', Boolean(facts.presenter));

    const hands = this.#facts.hands;
    show(hands.row, connected && facts.handsKnown);
    setText(hands.value, facts.hands.length ? `${facts.hands.length}: ${namesText(facts.hands)}` : 'No hands up');
    hands.row.classList.toggle('is-on', facts.hands.length > 0);
    el.dataset.hands = String(facts.hands.length);

    const chips = this.#chips;
    setText(chips.locked.label, facts.locked ? 'Locked' : 'Unlocked');
    chips.locked.el.classList.toggle('is-on', facts.locked);
    setText(chips.muted.label, facts.guestsMuted ? 'Guests muted' : 'Guests can speak');
    chips.muted.el.classList.toggle('is-on', facts.guestsMuted);
    show(chips.locked.el, connected);
    show(chips.muted.el, connected);
    setText(chips.upstream.label, upstreamText(facts.upstream));
    chips.upstream.el.classList.toggle('is-warn', Boolean(facts.upstream));
    show(chips.upstream.el, Boolean(facts.upstream) || connected);
  }
}

export class DashboardTiles {
  #list;
  #empty;
  #tiles = new Map();
  #resizeObserver;

  /**
   * @param {HTMLElement} list the `ul` that holds the tiles
   * @param {HTMLElement} empty what shows when there are none
   */
  constructor(list, empty) {
    this.#list = list;
    this.#empty = empty;
    this.#resizeObserver = new ResizeObserver(() => this.#fit());
    this.#resizeObserver.observe(list.parentElement ?? list);
    list.addEventListener('keydown', (event) => this.#onKey(event));
  }

  upsert(session, ctx) {
    let tile = this.#tiles.get(session.id);
    if (!tile) {
      tile = new Tile(session);
      this.#tiles.set(session.id, tile);
      this.#list.append(tile.element);
      this.#fit();
    }
    tile.update(session, ctx);
    show(this.#empty, false);
  }

  remove(id) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    const hadFocus = tile.element.contains(document.activeElement);
    const order = [...this.#tiles.keys()];
    const index = order.indexOf(id);
    tile.element.remove();
    this.#tiles.delete(id);
    show(this.#empty, this.#tiles.size === 0);
    this.#fit();
    if (hadFocus) {
      // Focus stays in the grid: the tile that took this one's place, or the last one.
      const rest = [...this.#tiles.values()];
      (rest[Math.min(index, rest.length - 1)]?.article ?? document.querySelector('#main'))?.focus();
    }
  }

  /** Every tile again (the connection came or went: tiles show whether they are live). */
  refresh(sessions, ctx) {
    for (const session of sessions) this.upsert(session, ctx);
    show(this.#empty, this.#tiles.size === 0);
  }

  get size() {
    return this.#tiles.size;
  }

  /** The most columns whose tiles still fit the screen at their shape, at least MIN_TILE_PX wide. */
  #fit() {
    const count = Math.max(1, this.#tiles.size);
    const box = this.#list.getBoundingClientRect();
    const width = box.width || window.innerWidth;
    const height = Math.max(200, window.innerHeight - box.top - 16);
    const gap = parseFloat(getComputedStyle(this.#list).columnGap) || 16;
    let columns = Math.max(1, Math.floor((width + gap) / (MIN_TILE_PX + gap)));
    for (let candidate = 1; candidate <= count; candidate += 1) {
      const tileWidth = (width - gap * (candidate - 1)) / candidate;
      const rows = Math.ceil(count / candidate);
      if (tileWidth < MIN_TILE_PX) break;
      if (rows * (tileWidth / TILE_ASPECT) + gap * (rows - 1) <= height) {
        columns = candidate;
        break;
      }
    }
    columns = Math.min(columns, count);
    // Few tiles: as wide as the screen's height allows at their shape, not wider (one tile is not a wall).
    const rows = Math.ceil(count / columns);
    const tallest = Math.max(MIN_TILE_PX / TILE_ASPECT, (height - gap * (rows - 1)) / rows);
    this.#list.style.setProperty('--columns', String(columns));
    const across = (width - gap * (columns - 1)) / columns;
    this.#list.style.setProperty('--tile-width', `${Math.floor(Math.min(across, tallest * TILE_ASPECT))}px`);
  }

  /** Arrow keys move between tiles (row by row), Home and End to the first and last. */
  #onKey(event) {
    const tiles = [...this.#tiles.values()].map((tile) => tile.article);
    const index = tiles.indexOf(document.activeElement);
    if (index < 0) return;
    const columns = Number(this.#list.style.getPropertyValue('--columns')) || 1;
    const moves = {
      ArrowRight: index + 1, ArrowLeft: index - 1, ArrowDown: index + columns, ArrowUp: index - columns,
      Home: 0, End: tiles.length - 1,
    };
    if (!(event.key in moves)) return;
    const next = tiles[moves[event.key]];
    event.preventDefault();
    next?.focus();
  }
}
