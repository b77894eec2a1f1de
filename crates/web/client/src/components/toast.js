// Short-lived status messages ("Event saved"), announced politely by screen readers. The live region is
// in the page from the start, so its additions are announced.

import { h } from '../dom.js';
import { t } from '../i18n.js';

let region = null;

export function toastRegion() {
  region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  return region;
}

/** Removes the toasts that belong to an earlier page: navigating leaves them behind, except one shown
 * just now (the "saved" of the action that navigated). */
export function clearStaleToasts(now = Date.now()) {
  for (const item of region?.querySelectorAll('.toast') ?? []) {
    if (now - Number(item.dataset.shown) > 1500) item.remove();
  }
}

/** Shows `message` for a few seconds. kind: 'success' | 'info' | 'error'. */
export function toast(message, { kind = 'success', timeout = 6000 } = {}) {
  if (!region) return;
  const close = () => item.remove();
  const item = h(
    'div',
    { class: ['toast', `toast-${kind}`], dataset: { shown: String(Date.now()) } },
    h('p', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'toast-close', onClick: close }, h('span', { class: 'visually-hidden' }, t('action.dismiss')), h('span', { 'aria-hidden': 'true' }, '×')),
  );
  region.append(item);
  setTimeout(close, timeout);
}
