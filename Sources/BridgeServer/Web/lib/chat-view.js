// The chat of one session: a log that only appends (rebuilt when a resync inserts older
// messages or a pending copy changes) and a form to send. A sent message shows as a pending copy
// until the bridge's echo replaces it (the store does that); only this page labels it "You".
import { attr, h, setText, show, uid } from './dom.js';
import { errorText, timeText } from './format.js';
import { icon } from './icons.js';

export class ChatView {
  element;
  #log;
  #empty;
  #form;
  #input;
  #send;
  #note;
  #error;
  #rendered = [];
  #onSend;
  #busy = false;
  #lastSession = null;
  #lastCtx = null;

  /** `onSend(text)` sends (adding the pending copy to the session) and resolves with the bridge's result. */
  constructor({ onSend }) {
    this.#onSend = onSend;
    const id = uid('chat');
    this.#log = h('ol', { class: 'chat-log' });
    this.#empty = h('p', { class: 'empty', text: 'No messages yet.' });
    this.#input = h('input', {
      id: `${id}-input`, type: 'text', name: 'message', autocomplete: 'off', maxlength: 2000,
      placeholder: 'Write a message…', class: 'chat-input',
    });
    this.#send = h('button', { type: 'submit', class: 'primary chat-send' }, icon('send'), h('span', { text: 'Send' }));
    this.#error = h('p', { class: 'field-error', role: 'alert' });
    this.#note = h('p', { class: 'chat-note' });
    this.#form = h('form', { class: 'chat-form', novalidate: true },
      h('label', { for: `${id}-input`, class: 'vh', text: 'Message' }), this.#input, this.#send);
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.element = h('section', { class: 'card chat', 'aria-labelledby': `${id}-title` },
      h('div', { class: 'card-head' }, h('h3', { id: `${id}-title` }, icon('chat'), ' Chat')),
      // The scroller is the live log and takes the focus, so the history scrolls with the keyboard.
      h('div', { class: 'chat-scroll', tabindex: '0', role: 'log', 'aria-live': 'polite', 'aria-labelledby': `${id}-title` },
        this.#empty, this.#log),
      this.#form, this.#error, this.#note);
  }

  update(session, ctx) {
    this.#lastSession = session;
    this.#lastCtx = ctx;
    this.#renderMessages(session.messages);
    const canChat = session.can('chat') && !ctx.watchOnly;
    this.#input.disabled = !canChat || !ctx.online;
    this.#send.disabled = !canChat || !ctx.online || this.#busy;
    attr(this.#form, 'aria-busy', this.#busy ? 'true' : null);
    show(this.#form, !ctx.watchOnly);
    const note = ctx.watchOnly ? 'Watch only: observers cannot send messages.' : !session.can('chat') ? 'Chat is not available in this session right now.' : '';
    setText(this.#note, note);
    show(this.#note, Boolean(note));
  }

  #renderMessages(messages) {
    show(this.#empty, messages.length === 0);
    const keys = messages.map((message) => `${message.key}:${message.status}`);
    const prefix = this.#rendered.length <= keys.length && this.#rendered.every((key, index) => keys[index] === key);
    const scroller = this.#log.parentElement;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    if (!prefix) {
      this.#log.replaceChildren(...messages.map((message) => this.#item(message)));
    } else {
      for (const message of messages.slice(this.#rendered.length)) this.#log.append(this.#item(message));
    }
    this.#rendered = keys;
    if (atBottom || !prefix) scroller.scrollTop = scroller.scrollHeight;
  }

  #item(message) {
    const sender = message.from?.display_name;
    const name = message.own ? 'You'
      : message.bridge ? `${sender || 'This bridge'} (this bridge)`
        : sender || 'Someone';
    const sending = message.status === 'sending';
    const classes = ['msg', message.own && 'own', message.bridge && 'bridge', sending && 'pending'].filter(Boolean).join(' ');
    return h('li', { class: classes },
      h('div', { class: 'msg-head' },
        h('span', { class: 'msg-from', text: name }),
        sending
          ? h('span', { class: 'msg-time', text: 'Sending…' })
          : h('time', { class: 'msg-time', datetime: message.at.toISOString(), text: timeText(message.at) })),
      h('p', { class: 'msg-text', text: message.text }));
  }

  async #submit() {
    const text = this.#input.value.trim();
    if (!text || this.#busy) return;
    this.#busy = true;
    setText(this.#error, '');
    this.#refresh();
    const result = await this.#onSend(text);
    this.#busy = false;
    if (result.ok) {
      this.#input.value = '';
    } else {
      setText(this.#error, errorText(result.error));
    }
    this.#refresh();
    this.#input.focus();
  }

  #refresh() {
    if (this.#lastSession) this.update(this.#lastSession, this.#lastCtx);
  }
}
