// Unsent words survive an ended session: when the token is refused, what the reader had typed on the page
// is kept in this tab's session storage, and put back into the same fields once they are logged in again
// and back on that page. Passwords are never kept.

const PREFIX = 'plaza.draft:';

/** The fields worth keeping: text the reader typed, not passwords, files or hidden values. */
function typedFields(root) {
  return [...root.querySelectorAll('textarea[name], input[name]')].filter((field) => {
    const type = (field.getAttribute('type') ?? 'text').toLowerCase();
    return ['text', 'search', 'url', 'email', 'number', 'datetime-local'].includes(type) || field.tagName === 'TEXTAREA';
  });
}

/** Keeps the non-empty typed fields of `root` for the page at `target` (`/events/5?cskip=20`). */
export function saveDrafts(target, root) {
  if (!root) return;
  const values = {};
  for (const field of typedFields(root)) {
    if (field.value.trim() !== '' && field.value !== field.defaultValue) values[field.name] = field.value;
  }
  try {
    if (Object.keys(values).length > 0) window.sessionStorage.setItem(PREFIX + target, JSON.stringify(values));
  } catch {
    // storage full or off: nothing more can be done
  }
}

/** Puts back what was kept for `target` into the empty fields of the same names in `root`, once. Returns
 * how many fields were filled. */
export function restoreDrafts(target, root) {
  let kept = null;
  try {
    kept = JSON.parse(window.sessionStorage.getItem(PREFIX + target) ?? 'null');
    window.sessionStorage.removeItem(PREFIX + target);
  } catch {
    return 0;
  }
  if (!kept || !root) return 0;
  let filled = 0;
  for (const field of typedFields(root)) {
    if (typeof kept[field.name] === 'string' && field.value.trim() === '') {
      field.value = kept[field.name];
      field.dispatchEvent(new Event('input', { bubbles: true }));
      filled += 1;
    }
  }
  return filled;
}
