// Small DOM helpers: build elements without innerHTML, so text from the bridge is never parsed as markup.

/** Creates an element: h('button', {class: 'primary', onclick: fn}, 'Join'). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

/** Applies properties and attributes; null, undefined and false are skipped. */
export function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
}

/** Appends children: nodes, strings (as text), arrays of them; null and false are skipped. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Sets text only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const value = text ?? '';
  if (el.textContent !== value) el.textContent = value;
}

/** Shows or hides an element with the `hidden` attribute. */
export function show(el, visible) {
  if (el.hidden === !visible) return;
  el.hidden = !visible;
}

/** Sets or removes a boolean-ish attribute (aria-*, data-*). */
export function attr(el, name, value) {
  if (value == null || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else {
    const text = value === true ? 'true' : String(value);
    if (el.getAttribute(name) !== text) el.setAttribute(name, text);
  }
}

/** Text only screen readers read. */
export function srOnly(text) {
  return h('span', { class: 'vh', text });
}

let uniqueCounter = 0;
/** A page-unique id for label/aria wiring. */
export function uid(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}
