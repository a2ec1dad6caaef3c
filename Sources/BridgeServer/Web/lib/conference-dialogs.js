// Dialogs for the conference controls that need more than a click: overlay text, transfer, the DTMF
// keypad and dial-out. A <dialog> opened in the page's flow at the top of the session panel (not a
// modal over it: the roster and the chat stay in view, which is what a control room wants); the focus
// moves into it, Escape or Cancel closes it, and the focus goes back to the control that opened it.
// One at a time. A refused request leaves it open with the bridge's reason, to correct and retry.
import { errorText } from './format.js';
import { h, setText, uid } from './dom.js';

const DTMF_KEYS = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'];
export const DTMF_PATTERN = /^[0-9*#A-D]{1,32}$/;
export const DIAL_PROTOCOLS = [['sip', 'SIP'], ['h323', 'H.323'], ['rtmp', 'RTMP (streaming)'], ['mssip', 'Skype for Business'], ['auto', 'Automatic']];
const ROLES = [['guest', 'Guest'], ['host', 'Host']];

let current = null;

/**
 * Shows a dialog; resolves when it closes. `build(ui)` returns the body's elements and may call
 * `ui.close()`; `ui.error(text)` shows a refusal in the dialog's alert line.
 */
function modal({ title, className, opener, build }) {
  current?.close();
  const id = uid('dialog');
  const errorLine = h('p', { class: 'field-error dialog-error', role: 'alert' });
  const dialog = h('dialog', { class: `dialog ${className}`, 'aria-labelledby': `${id}-title` });
  return new Promise((resolve) => {
    const ui = {
      id,
      close: () => dialog.close(),
      error: (text) => setText(errorLine, text),
    };
    dialog.append(h('h2', { id: `${id}-title`, class: 'dialog-title', text: title }), ...build(ui), errorLine);
    dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      if (current === dialog) current = null;
      const hadFocus = dialog.contains(document.activeElement);
      dialog.remove();
      if (opener?.isConnected && (hadFocus || document.activeElement === document.body)) opener.focus();
      resolve();
    });
    // In the flow of the opener's session panel, under its header; elsewhere, at the top of the page.
    const head = opener?.closest('.session-panel')?.querySelector('.session-head');
    if (head) head.after(dialog);
    else document.querySelector('main')?.prepend(dialog);
    current = dialog;
    dialog.show();
    dialog.scrollIntoView({ block: 'nearest' });
    dialog.querySelector('input, select, button')?.focus();
  });
}

function field(id, labelText, control, hint) {
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'field-hint', text: hint }) : null;
  if (hintEl) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id, text: labelText }), control, hintEl);
}

function select(id, name, options, value) {
  const el = h('select', { id, name });
  for (const [optionValue, label] of options) {
    el.append(h('option', { value: optionValue, text: label, selected: optionValue === value }));
  }
  return el;
}

/**
 * A dialog around one form: `submit(values)` sends the request and resolves with its result; on
 * success the dialog closes, on failure it shows why and stays.
 */
function formDialog({ title, className, opener, intro, fields, submitLabel, submit, check }) {
  return modal({
    title, className, opener, build: (ui) => {
      const form = h('form', { class: 'dialog-form', novalidate: true });
      const controls = {};
      for (const spec of fields) {
        const inputId = `${ui.id}-${spec.name}`;
        let control;
        if (spec.type === 'select') {
          control = select(inputId, spec.name, spec.options, spec.value);
        } else if (spec.type === 'checkbox') {
          control = h('input', { id: inputId, name: spec.name, type: 'checkbox', checked: Boolean(spec.value) });
          form.append(h('div', { class: 'field field-check' }, control, h('label', { for: inputId, text: spec.label })));
          controls[spec.name] = control;
          continue;
        } else {
          control = h('input', {
            id: inputId, name: spec.name, type: spec.type ?? 'text', autocomplete: 'off', spellcheck: 'false',
            autocapitalize: 'none', maxlength: spec.maxlength ?? 200, value: spec.value ?? '', placeholder: spec.placeholder,
          });
        }
        controls[spec.name] = control;
        form.append(field(inputId, spec.label, control, spec.hint));
      }
      const submitButton = h('button', { type: 'submit', class: 'primary', text: submitLabel });
      const cancel = h('button', { type: 'button', class: 'secondary', text: 'Cancel' });
      cancel.addEventListener('click', () => ui.close());
      form.append(h('div', { class: 'actions' }, cancel, submitButton));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(Object.entries(controls).map(([name, control]) => [
          name, control.type === 'checkbox' ? control.checked : control.value.trim(),
        ]));
        const problem = check?.(values);
        for (const control of Object.values(controls)) control.removeAttribute('aria-invalid');
        if (problem) {
          ui.error(problem.text);
          controls[problem.field]?.setAttribute('aria-invalid', 'true');
          controls[problem.field]?.focus();
          return;
        }
        ui.error('');
        submitButton.disabled = true;
        const result = await submit(values);
        submitButton.disabled = false;
        if (result.ok) ui.close();
        else ui.error(errorText(result.error));
      });
      return [intro ? h('p', { class: 'dialog-intro', text: intro }) : null, form].filter(Boolean);
    },
  });
}

/** Overlay text over a participant's video ("" removes it). */
export function overlayDialog({ participant, opener, send }) {
  const name = participant.display_name || 'this participant';
  return formDialog({
    title: `Overlay text for ${name}`, className: 'dialog-overlay', opener,
    intro: 'The text shows over their video in the conference. Leave it empty to remove it.',
    fields: [{ name: 'text', label: 'Overlay text', value: participant.overlay_text ?? '', maxlength: 100 }],
    submitLabel: 'Set text',
    submit: (values) => send('overlay_text', { participant: participant.uuid, text: values.text }),
  });
}

/** Moves a participant to another conference; the PIN is a secret: a password field, never shown again. */
export function transferDialog({ participant, opener, send }) {
  const name = participant.display_name || 'this participant';
  return formDialog({
    title: `Transfer ${name}`, className: 'dialog-transfer', opener,
    intro: 'They leave this conference and join the one you name.',
    fields: [
      { name: 'alias', label: 'Conference alias', placeholder: 'meet.other' },
      { name: 'role', label: 'Role there', type: 'select', options: ROLES, value: participant.role === 'host' ? 'host' : 'guest' },
      { name: 'pin', label: 'PIN (optional)', type: 'password', hint: 'Only when the other conference needs one.' },
    ],
    submitLabel: 'Transfer',
    check: (values) => (values.alias ? null : { field: 'alias', text: 'Enter the alias of the conference to transfer to.' }),
    submit: (values) => {
      const fields = { participant: participant.uuid, alias: values.alias, role: values.role };
      if (values.pin) fields.pin = values.pin;
      return send('transfer', fields);
    },
  });
}

/** Calls out from the conference: a SIP/H.323 endpoint, or an RTMP stream. */
export function dialDialog({ opener, send, onDialled }) {
  return formDialog({
    title: 'Dial out', className: 'dialog-dial', opener,
    intro: 'The conference calls the destination; it appears in the participants once it answers.',
    fields: [
      { name: 'destination', label: 'Destination', placeholder: 'alice@example.com or rtmp://…' },
      { name: 'protocol', label: 'Protocol', type: 'select', options: DIAL_PROTOCOLS, value: 'sip' },
      { name: 'role', label: 'Role', type: 'select', options: ROLES, value: 'guest' },
      { name: 'display_name', label: 'Display name (optional)', maxlength: 100 },
      { name: 'streaming', label: 'Streaming participant (no video back, e.g. a live stream)', type: 'checkbox', value: false },
    ],
    submitLabel: 'Dial',
    check: (values) => (values.destination ? null : { field: 'destination', text: 'Enter who to call.' }),
    submit: async (values) => {
      const fields = { destination: values.destination, protocol: values.protocol, role: values.role, streaming: values.streaming };
      if (values.display_name) fields.display_name = values.display_name;
      const result = await send('dial', fields);
      if (result.ok) onDialled?.(result.data?.participants ?? []);
      return result;
    },
  });
}

/**
 * The DTMF keypad for a SIP or H.323 participant: each key is sent as it is pressed (as a phone
 * does, for menus that answer each digit); a sequence can be typed and sent at once.
 */
export function dtmfDialog({ participant, opener, send }) {
  const name = participant.display_name || 'this participant';
  return modal({
    title: `Keypad for ${name}`, className: 'dialog-dtmf', opener, build: (ui) => {
      const sent = h('p', { class: 'dtmf-sent', 'aria-live': 'polite' });
      const log = [];
      const sendDigits = async (digits, source) => {
        if (!DTMF_PATTERN.test(digits)) {
          ui.error('Use 1 to 32 of 0–9, *, # and A–D.');
          return false;
        }
        ui.error('');
        if (source) source.disabled = true;
        const result = await send('dtmf', { participant: participant.uuid, digits });
        if (source) source.disabled = false;
        if (!result.ok) {
          ui.error(errorText(result.error));
          return false;
        }
        log.push(digits);
        setText(sent, `Sent: ${log.join(' ')}`);
        return true;
      };
      const pad = h('div', { class: 'dtmf-pad', role: 'group', 'aria-label': 'Keypad' });
      for (const key of DTMF_KEYS) {
        const keyButton = h('button', { type: 'button', class: 'secondary dtmf-key', dataset: { key }, text: key });
        keyButton.addEventListener('click', () => sendDigits(key, keyButton));
        pad.append(keyButton);
      }
      const inputId = `${ui.id}-digits`;
      const input = h('input', { id: inputId, type: 'text', class: 'dtmf-digits', autocomplete: 'off', spellcheck: 'false', maxlength: 32, inputmode: 'tel' });
      const submit = h('button', { type: 'submit', class: 'primary', text: 'Send digits' });
      const form = h('form', { class: 'dialog-form dtmf-form', novalidate: true },
        h('div', { class: 'field' }, h('label', { for: inputId, text: 'Digits' }), input), submit);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const digits = input.value.trim().toUpperCase();
        if (await sendDigits(digits, submit)) input.value = '';
        else input.setAttribute('aria-invalid', 'true');
      });
      input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
      const done = h('button', { type: 'button', class: 'secondary', text: 'Done' });
      done.addEventListener('click', () => ui.close());
      return [pad, form, sent, h('div', { class: 'actions' }, done)];
    },
  });
}
