// The PIN challenge of one session: `pin_required` (a PIN is needed) or `pin_optional` (the host
// PIN, or join as a guest). The field is a password field and is emptied after every attempt.
import { attr, h, setText, show, uid } from './dom.js';
import { errorText } from './format.js';
import { icon } from './icons.js';

export class PinPanel {
  element;
  #title;
  #hint;
  #form;
  #input;
  #message;
  #submit;
  #guest;
  #watchNote;
  #onSubmit;
  #busy = false;
  #localError = null;
  #lastSession = null;
  #lastCtx = null;

  /** `onSubmit(pin)` sends the PIN ('' joins as a guest) and resolves with the result. Only the
   * "Join as guest" button sends ''; an empty field with Enter or "Join as host" says what to do. */
  constructor({ onSubmit }) {
    this.#onSubmit = onSubmit;
    const id = uid('pin');
    this.#title = h('h3', { id: `${id}-title`, class: 'pin-title' });
    this.#hint = h('p', { class: 'pin-hint', id: `${id}-hint` });
    this.#input = h('input', {
      id: `${id}-input`, name: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'off',
      spellcheck: 'false', class: 'pin-input', 'aria-describedby': `${id}-hint ${id}-msg`, maxlength: 64,
    });
    this.#message = h('p', { id: `${id}-msg`, class: 'field-error pin-error', role: 'alert' });
    this.#submit = h('button', { type: 'submit', class: 'primary pin-submit' }, 'Join');
    this.#guest = h('button', { type: 'button', class: 'secondary pin-guest' }, 'Join as guest');
    this.#guest.addEventListener('click', () => this.#send('', { guest: true }));
    this.#form = h('form', { class: 'pin-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: `${id}-input`, text: 'PIN' }), this.#input),
      this.#message,
      h('div', { class: 'actions' }, this.#submit, this.#guest));
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#send(this.#input.value);
    });
    this.#input.addEventListener('input', () => {
      if (this.#localError?.code === 'empty') this.#setLocalError(null);
    });
    this.#watchNote = h('p', { class: 'watch-note' }, icon('eye'), ' Waiting for a controller to enter the PIN.');
    this.element = h('section', { class: 'card pin-panel', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'pin-icon', 'aria-hidden': 'true' }, icon('key')),
      h('div', { class: 'pin-body' }, this.#title, this.#hint, this.#form, this.#watchNote));
  }

  /** Moves focus to the PIN field. */
  focus() {
    this.#input.focus();
  }

  update(session, ctx) {
    this.#lastSession = session;
    this.#lastCtx = ctx;
    const optional = session.state === 'pin_optional';
    setText(this.#title, optional ? 'Host PIN or guest' : 'PIN required');
    setText(this.#hint, optional
      ? `${session.alias} has a host PIN. Enter it to join as host, or join as a guest without a PIN.`
      : `${session.alias} needs a PIN. The host PIN gives host controls; the guest PIN joins as a guest.`);
    setText(this.#submit, this.#busy ? 'Checking…' : optional ? 'Join as host' : 'Join');
    show(this.#guest, optional);
    const watchOnly = ctx.watchOnly;
    show(this.#form, !watchOnly);
    show(this.#watchNote, watchOnly);
    const disabled = this.#busy || !ctx.online;
    this.#submit.disabled = disabled;
    this.#guest.disabled = disabled;
    this.#input.readOnly = this.#busy;
    attr(this.#form, 'aria-busy', this.#busy ? 'true' : null);
    // While a PIN is being checked the previous attempt's message is stale: show none.
    const error = this.#busy ? null : this.#localError ?? (session.error?.code === 'invalid_pin' ? session.error : null);
    setText(this.#message, error ? errorText(error) : '');
    attr(this.#input, 'aria-invalid', error ? 'true' : null);
  }

  #setLocalError(error) {
    this.#localError = error;
    if (this.#lastSession) this.update(this.#lastSession, this.#lastCtx);
  }

  async #send(pin, { guest = false } = {}) {
    if (this.#busy) return;
    const optional = this.#lastSession?.state === 'pin_optional';
    if (guest && !optional) return;
    if (!pin.trim() && !guest) {
      this.#setLocalError({ code: 'empty', message: optional ? 'Enter the host PIN, or join as guest' : 'Enter the PIN' });
      this.#input.focus();
      return;
    }
    // The PIN leaves the page once: the field is cleared before the bridge answers.
    this.#input.value = '';
    this.#busy = true;
    this.#setLocalError(null);
    const result = await this.#onSubmit(pin);
    this.#busy = false;
    this.#setLocalError(result.ok ? null : result.error);
    if (!result.ok) this.#input.focus();
  }
}
