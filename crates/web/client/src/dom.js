// Building DOM without HTML strings. Text always becomes text nodes, so nothing a user wrote can turn
// into markup. There is deliberately no innerHTML anywhere in the client.

/** Properties set as DOM properties rather than attributes (after children, so a <select> knows its options). */
const PROPERTIES = new Set(['value', 'checked', 'selected', 'indeterminate', 'defaultValue']);

/**
 * h('a', { href: '#/events', class: 'link', onClick: fn }, 'text', childNode, [more, children])
 * - strings and numbers become text nodes; null, undefined, false and true are skipped;
 * - `on<Event>` props add listeners; `class` takes a string or an array (falsy entries dropped);
 * - `dataset` takes an object; `true` sets an empty attribute; null/false leave it out.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const late = [];
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      } else if (key === 'dataset') {
        Object.assign(el.dataset, value);
      } else if (key === 'style') {
        throw new Error('inline styles are refused by the Content-Security-Policy; use a class');
      } else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (PROPERTIES.has(key)) {
        late.push([key, value]);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  for (const [key, value] of late) el[key] = value;
  return el;
}

/** Appends children (see h) to a node. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of a node. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let sequence = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

/** A small debounce: the call runs `wait` ms after the last one. */
export function debounce(fn, wait) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** An integer from a query value, or the fallback when it is missing or not a non-negative integer. */
export function intParam(value, fallback) {
  if (value === null || value === undefined || !/^\d{1,9}$/.test(value)) return fallback;
  return Number(value);
}
