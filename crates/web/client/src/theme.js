// Light or dark: the system's choice unless the reader picked one, which is remembered on this device.

const KEY = 'plaza.theme';

/** The reader's own choice ('light' or 'dark'), or null to follow the system. */
export function savedTheme() {
  try {
    const saved = window.localStorage.getItem(KEY);
    return saved === 'light' || saved === 'dark' ? saved : null;
  } catch {
    return null;
  }
}

/** The theme in effect: the reader's choice, else the system's. */
export function currentTheme() {
  return savedTheme() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** Applies the saved choice to the page (the stylesheet reads `data-theme` on <html>). */
export function applyTheme() {
  const theme = savedTheme();
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

/** Switches between light and dark, and remembers it. */
export function toggleTheme() {
  const next = currentTheme() === 'dark' ? 'light' : 'dark';
  try {
    window.localStorage.setItem(KEY, next);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.dataset.theme = next;
  return next;
}
