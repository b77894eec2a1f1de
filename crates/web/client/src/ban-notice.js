// What the server said of a ban, kept for this tab between the answer that said it and the page that
// shows it (sessionStorage: a reload keeps it, another tab or a link does not bring it).

const KEY = 'plaza.ban';

/** Keeps `{reason, until}` as the server sent them. */
export function rememberBan({ reason, until }) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ reason: typeof reason === 'string' ? reason : null, until: typeof until === 'string' ? until : null }));
  } catch {
    // Storage refused (private mode, full): the page says only that the account is banned.
  }
}

/** The ban last remembered in this tab, or null. */
export function rememberedBan() {
  try {
    const ban = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return ban && typeof ban === 'object' ? ban : null;
  } catch {
    return null;
  }
}
