// The ways in before a conference's door, besides PINs: a Virtual Reception's extension entry
// (`extension_required`), the choice of an identity provider (`idp_required`) and the sign-in
// round trip (`sso_required`). The sign-in opens the identity provider's page in a popup; that
// page hands the token back with window.opener.postMessage({type: 'pexip-sso', token}) (as it does
// for Pexip's own web clients), and this panel sends it with `sso_token`. Where no popup opens, the
// link opens a tab that shows the token, and the paste field takes it.
import { attr, h, setText, show, uid } from './dom.js';
import { errorText } from './format.js';
import { icon } from './icons.js';

export const WAY_IN_STATES = new Set(['extension_required', 'idp_required', 'sso_required']);

export class WayInPanel {
  element;
  #title;
  #hint;
  #message;
  #extensionForm;
  #extensionInput;
  #extensionSubmit;
  #idpList;
  #ssoBox;
  #ssoButton;
  #ssoLink;
  #ssoStatus;
  #pasteForm;
  #pasteInput;
  #pasteSubmit;
  #watchNote;
  #send;
  #busy = false;
  #localError = null;
  #session = null;
  #ctx = null;
  #popup = null;
  #popupOrigin = null;

  /** `send(type, fields)` sends `extension`, `idp` or `sso_token` for the session and resolves with the result. */
  constructor({ send }) {
    this.#send = send;
    const id = uid('wayin');
    this.#title = h('h3', { id: `${id}-title`, class: 'pin-title wayin-title' });
    this.#hint = h('p', { class: 'pin-hint wayin-hint', id: `${id}-hint` });
    this.#message = h('p', { id: `${id}-msg`, class: 'field-error pin-error wayin-error', role: 'alert' });

    this.#extensionInput = h('input', {
      id: `${id}-ext`, name: 'extension', type: 'text', autocomplete: 'off', spellcheck: 'false',
      class: 'pin-input extension-input', 'aria-describedby': `${id}-hint ${id}-msg`, maxlength: 256,
    });
    this.#extensionSubmit = h('button', { type: 'submit', class: 'primary extension-submit' }, 'Continue');
    this.#extensionForm = h('form', { class: 'pin-form extension-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: `${id}-ext`, text: 'Conference' }), this.#extensionInput),
      h('div', { class: 'actions' }, this.#extensionSubmit));
    this.#extensionForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const target = this.#extensionInput.value.trim();
      if (!target) {
        this.#setLocalError({ code: 'empty', message: 'Enter the conference to join' });
        this.#extensionInput.focus();
        return;
      }
      this.#run('extension', { extension: target });
    });

    this.#idpList = h('ul', { class: 'idp-list', 'aria-label': 'Identity providers' });

    this.#ssoButton = h('button', { type: 'button', class: 'primary sso-start' }, icon('key'), h('span', { class: 'sso-start-label' }));
    this.#ssoButton.addEventListener('click', () => this.#openSignIn());
    this.#ssoLink = h('a', { class: 'sso-link', target: '_blank', rel: 'opener' }, 'open the sign-in page in a new tab');
    this.#ssoStatus = h('p', { class: 'sso-status', role: 'status' });
    this.#pasteInput = h('input', {
      id: `${id}-token`, name: 'sso-token', type: 'password', autocomplete: 'off', spellcheck: 'false',
      class: 'pin-input sso-token-input', 'aria-describedby': `${id}-paste-hint ${id}-msg`,
    });
    this.#pasteSubmit = h('button', { type: 'submit', class: 'secondary sso-token-submit' }, 'Send token');
    this.#pasteForm = h('form', { class: 'pin-form sso-paste', novalidate: true },
      h('p', { id: `${id}-paste-hint`, class: 'pin-hint' }, 'No popup? Sign in in a tab, then paste the token it shows.'),
      h('div', { class: 'field' }, h('label', { for: `${id}-token`, text: 'Sign-in token' }), this.#pasteInput),
      h('div', { class: 'actions' }, this.#pasteSubmit));
    this.#pasteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = this.#pasteInput.value.trim();
      this.#pasteInput.value = '';
      if (!token) {
        this.#setLocalError({ code: 'empty', message: 'Paste the token the sign-in page shows' });
        this.#pasteInput.focus();
        return;
      }
      this.#run('sso_token', { token });
    });
    this.#ssoBox = h('div', { class: 'sso-box' },
      h('div', { class: 'actions' }, this.#ssoButton),
      h('p', { class: 'pin-hint' }, 'Or ', this.#ssoLink, '.'),
      this.#ssoStatus, this.#pasteForm);

    this.#watchNote = h('p', { class: 'watch-note' }, icon('eye'), ' Waiting for a controller to answer.');
    this.element = h('section', { class: 'card pin-panel way-in-panel', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'pin-icon', 'aria-hidden': 'true' }, icon('key')),
      h('div', { class: 'pin-body' }, this.#title, this.#hint, this.#message,
        this.#extensionForm, this.#idpList, this.#ssoBox, this.#watchNote));

    window.addEventListener('message', (event) => this.#onMessage(event));
  }

  /** Moves focus to what needs the user. */
  focus() {
    const state = this.#session?.state;
    if (state === 'extension_required') this.#extensionInput.focus();
    else if (state === 'idp_required') this.#idpList.querySelector('button')?.focus();
    else if (state === 'sso_required') this.#ssoButton.focus();
  }

  update(session, ctx) {
    const changedState = this.#session?.state !== session.state;
    this.#session = session;
    this.#ctx = ctx;
    if (changedState) this.#localError = null;
    const state = session.state;
    const watchOnly = ctx.watchOnly;
    const disabled = this.#busy || !ctx.online;
    show(this.#extensionForm, state === 'extension_required' && !watchOnly);
    show(this.#idpList, state === 'idp_required' && !watchOnly);
    show(this.#ssoBox, state === 'sso_required' && !watchOnly);
    show(this.#watchNote, watchOnly);
    attr(this.element, 'aria-busy', this.#busy ? 'true' : null);
    if (state === 'extension_required') {
      setText(this.#title, 'Virtual Reception');
      setText(this.#hint, session.extension?.kind === 'mssip'
        ? `${session.alias} is a reception for Skype for Business meetings: enter the conference ID.`
        : `${session.alias} is a reception: enter the conference you want to join.`);
      this.#extensionSubmit.disabled = disabled;
      this.#extensionInput.readOnly = this.#busy;
    } else if (state === 'idp_required') {
      setText(this.#title, 'Sign-in required');
      setText(this.#hint, `${session.alias} asks you to sign in. Choose how:`);
      this.#renderProviders(session.idps ?? [], disabled);
    } else if (state === 'sso_required') {
      const name = session.sso?.idp?.name || 'the identity provider';
      setText(this.#title, `Sign in with ${name}`);
      setText(this.#hint, `Sign in in the window that opens; you come back here connected.`);
      setText(this.#ssoButton.querySelector('.sso-start-label'), `Sign in with ${name}`);
      this.#ssoButton.disabled = disabled;
      this.#pasteSubmit.disabled = disabled;
      attr(this.#ssoLink, 'href', session.sso?.redirect_url ?? null);
    }
    const error = this.#busy ? null : this.#localError
      ?? (['extension_not_found', 'sso_failed'].includes(session.error?.code) ? session.error : null);
    setText(this.#message, error ? errorText(error) : '');
    show(this.#message, Boolean(error));
  }

  #renderProviders(idps, disabled) {
    const key = JSON.stringify(idps.map((idp) => idp.uuid));
    if (this.#idpList.dataset.key !== key) {
      this.#idpList.dataset.key = key;
      this.#idpList.replaceChildren(...idps.map((idp) => {
        const button = h('button', { type: 'button', class: 'secondary idp-choice', dataset: { idp: idp.uuid } },
          `Sign in with ${idp.name || idp.uuid}`);
        button.addEventListener('click', () => this.#run('idp', { idp: idp.uuid }));
        return h('li', {}, button);
      }));
    }
    for (const button of this.#idpList.querySelectorAll('button')) button.disabled = disabled;
  }

  #openSignIn() {
    const url = this.#session?.sso?.redirect_url;
    if (!url) return;
    try {
      this.#popupOrigin = new URL(url, window.location.href).origin;
    } catch {
      this.#popupOrigin = null;
    }
    // Not `noopener`: the sign-in page answers through window.opener.
    this.#popup = window.open(url, 'pexbridge-sso', 'popup,width=520,height=680');
    setText(this.#ssoStatus, this.#popup
      ? 'Waiting for the sign-in to finish…'
      : 'The browser blocked the popup: open the sign-in page in a new tab and paste the token.');
  }

  #onMessage(event) {
    const data = event.data;
    if (!data || data.type !== 'pexip-sso' || typeof data.token !== 'string') return;
    // Only the window this panel opened, from the sign-in page's origin, may answer.
    if (!this.#popup || event.source !== this.#popup) return;
    if (this.#popupOrigin && event.origin !== this.#popupOrigin) return;
    if (this.#session?.state !== 'sso_required') return;
    this.#popup = null;
    setText(this.#ssoStatus, 'Signed in; joining…');
    this.#run('sso_token', { token: data.token });
  }

  #setLocalError(error) {
    this.#localError = error;
    if (this.#session) this.update(this.#session, this.#ctx);
  }

  async #run(type, fields) {
    if (this.#busy) return;
    this.#busy = true;
    this.#setLocalError(null);
    const result = await this.#send(type, fields);
    this.#busy = false;
    if (type === 'extension' && result.ok) this.#extensionInput.value = '';
    if (type === 'sso_token') setText(this.#ssoStatus, '');
    this.#setLocalError(result.ok ? null : result.error);
    if (!result.ok) this.focus();
  }
}

/** The notice that the node moved the session to another room (`connecting` with reason `transferred`). */
export class TransferNotice {
  element = h('p', { class: 'banner banner-info transfer-notice', role: 'status' });

  update(session) {
    const moved = session.transferredTo;
    setText(this.element, moved ? `The conference moved you to another room: ${moved}.` : '');
    show(this.element, Boolean(moved));
  }
}
