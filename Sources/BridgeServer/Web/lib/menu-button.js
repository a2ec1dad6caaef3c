// A menu button (WAI-ARIA menu pattern): the button opens a `role="menu"` list whose items are built
// fresh each time it opens, so they always reflect the participant and capabilities of that moment.
// Keyboard: Enter, Space or Down open on the first item, Up on the last; Up/Down (Left/Right)/Home/End
// move; Escape closes and gives the focus back to the button; Tab closes. A click outside closes too.
// `menu` may be placed elsewhere in the page than the button (the roster puts it in the flow under the
// row, so it never covers other text).
import { h, setText, srOnly, uid } from './dom.js';
import { icon } from './icons.js';

export class MenuButton {
  element;
  button;
  /** The `role="menu"` list: inside `element` unless the owner moves it. */
  menu;
  #menu;
  #items;
  #label;
  #open = false;
  #onOutside = (event) => {
    if (!this.element.contains(event.target) && !this.#menu.contains(event.target)) this.close({ focus: false });
  };

  /**
   * @param {{label: string, iconName?: string, className?: string,
   *          items: () => Array<{key: string, label: string, run: () => void, danger?: boolean}>}} options
   *   `items` is called at each opening; an empty list leaves the menu shut.
   */
  constructor({ label, iconName = 'more', className = '', items }) {
    const id = uid('menu');
    this.#items = items;
    this.#label = srOnly(label);
    this.button = h('button', {
      type: 'button', class: `small icon-button menu-button ${className}`.trim(), id: `${id}-button`,
      'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': `${id}-menu`, title: label,
    }, icon(iconName), this.#label);
    this.#menu = h('ul', { class: 'menu', role: 'menu', id: `${id}-menu`, 'aria-labelledby': `${id}-button`, tabindex: '-1' });
    this.#menu.hidden = true;
    this.menu = this.#menu;
    this.element = h('div', { class: 'menu-wrap' }, this.button, this.#menu);
    this.button.addEventListener('click', () => (this.#open ? this.close() : this.open(0)));
    this.button.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        this.open(event.key === 'ArrowDown' ? 0 : -1);
      }
    });
    this.#menu.addEventListener('keydown', (event) => this.#onKey(event));
  }

  /** Renames the button (its accessible name and tooltip), e.g. with the participant's name. */
  setLabel(label) {
    setText(this.#label, label);
    this.button.title = label;
  }

  get isOpen() {
    return this.#open;
  }

  /** Opens with the focus on item `index` (-1: the last). */
  open(index = 0) {
    const items = this.#items();
    if (items.length === 0) return;
    this.#menu.replaceChildren(...items.map((item) => {
      const el = h('button', {
        type: 'button', role: 'menuitem', tabindex: '-1',
        class: `menu-item ${item.danger ? 'danger' : ''} item-${item.key}`.trim(), dataset: { key: item.key },
      }, item.label);
      el.addEventListener('click', () => {
        this.close();
        item.run();
      });
      return h('li', { role: 'none' }, el);
    }));
    this.#menu.hidden = false;
    this.#open = true;
    this.button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', this.#onOutside, true);
    const buttons = this.#buttons();
    buttons[index < 0 ? buttons.length - 1 : Math.min(index, buttons.length - 1)]?.focus();
  }

  /** Closes; the focus goes back to the button unless `focus` is false (a click elsewhere). */
  close({ focus = true } = {}) {
    if (!this.#open) return;
    this.#open = false;
    this.#menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', this.#onOutside, true);
    if (focus) this.button.focus();
  }

  #buttons() {
    return [...this.#menu.querySelectorAll('[role="menuitem"]')];
  }

  #onKey(event) {
    const buttons = this.#buttons();
    const index = buttons.indexOf(document.activeElement);
    let next = null;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowRight': next = (index + 1) % buttons.length; break;
      case 'ArrowUp':
      case 'ArrowLeft': next = (index - 1 + buttons.length) % buttons.length; break;
      case 'Home': next = 0; break;
      case 'End': next = buttons.length - 1; break;
      case 'Escape':
        event.preventDefault();
        event.stopPropagation();
        this.close();
        return;
      case 'Tab':
        this.close({ focus: false });
        return;
      default:
        return;
    }
    event.preventDefault();
    buttons[next]?.focus();
  }
}
