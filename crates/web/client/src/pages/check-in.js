// The door: the organiser types, pastes or scans ticket codes, and each answer is large and unmistakable —
// let in, already checked in (and when), or not valid. Made for a phone held at the entrance.

import * as api from '../api.js';
import { h, replace, uid } from '../dom.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, t } from '../i18n.js';
import { href } from '../router.js';
import { currentUser } from '../store.js';
import { emptyState, errorBox, isId, loading, pageHeader } from '../components/page.js';

/** A fresh nonce for one scan: sent again, unchanged, if that scan has to be retried. */
const newNonce = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

export default function CheckInPage(ctx) {
  const { id } = ctx.params;
  const el = h('section', { class: 'page page-check-in' }, pageHeader(t('checkIn.title')).el, loading());
  let event = null;
  let stopCamera = () => {};
  // The scan still without a definite answer (the network failed, or a gateway did): scanning the same
  // code again sends the same nonce, so a check-in whose answer was lost is answered "admitted", never
  // "already checked in".
  let pending = null;
  // The last code the camera read: it is not scanned again until another one is, or the scan failed.
  let lastRead = null;

  const resultId = uid('check-in-result');
  const result = h('div', { class: 'check-in-result', id: resultId, role: 'status', 'aria-live': 'assertive', tabindex: '-1' });
  const input = h('input', { id: uid('code'), name: 'code', class: 'check-in-code', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true, 'aria-describedby': resultId });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('checkIn.submit'));

  /** Shows one answer, in words and in colour (never colour alone). */
  function show(kind, heading, detail = null) {
    result.className = `check-in-result check-in-${kind}`;
    replace(result, h('p', { class: 'check-in-verdict' }, heading), detail ? h('p', { class: 'check-in-detail' }, detail) : null);
  }

  /** Whether an answer leaves the scan's outcome unknown: no answer at all, or a gateway's. */
  const undecided = (error) => error?.code === 'network' || [502, 503, 504].includes(error?.status);
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Sends one scan, retrying an undecided answer with the same nonce (after 0.3 s, then 1 s). */
  async function scan(code) {
    const nonce = pending?.code === code ? pending.nonce : newNonce();
    pending = { code, nonce };
    submit.disabled = true;
    show('pending', t('checkIn.checking'));
    let decided = true;
    try {
      for (const wait of [0, 300, 1000]) {
        if (wait) await pause(wait);
        try {
          await api.events.checkIn(event.id, code, nonce);
          show('admitted', t('checkIn.admitted'), t('checkIn.admittedDetail', { code: code.slice(0, 8) }));
          return;
        } catch (error) {
          if (!undecided(error) || wait === 1000) throw error;
        }
      }
    } catch (error) {
      if (error?.code === 'already_checked_in') {
        const at = error.body?.checked_in_at;
        show('used', t('checkIn.alreadyIn'), at ? t('checkIn.alreadyInAt', { time: formatDateTime(at, { dateStyle: 'medium', timeStyle: 'medium' }) }) : null);
      } else if (error?.code === 'not_found' || error?.code === 'ticket_cancelled') {
        show('invalid', t('checkIn.invalid'), error.code === 'ticket_cancelled' ? t('checkIn.cancelledDetail') : t('checkIn.unknownDetail'));
      } else {
        decided = !undecided(error);
        show(decided ? 'invalid' : 'pending', t('checkIn.failed'), decided ? errorMessage(error) : t('checkIn.retry'));
      }
    } finally {
      submit.disabled = false;
      if (decided) {
        pending = null;
        input.value = '';
      } else {
        // Kept for another try with the same nonce: the code stays in the field, the camera may read it again.
        input.value = code;
        lastRead = null;
      }
      input.focus();
    }
  }

  /** The camera, where the browser can read QR codes itself (BarcodeDetector): each code read is scanned once. */
  function cameraButton() {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return null;
    const video = h('video', { class: 'check-in-video', muted: true, playsinline: true, hidden: true });
    const button = h('button', { type: 'button', class: 'btn btn-secondary', 'aria-pressed': 'false' }, t('checkIn.camera'));
    let stream = null;
    let running = false;
    stopCamera = () => {
      running = false;
      stream?.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
      button.setAttribute('aria-pressed', 'false');
    };
    button.addEventListener('click', async () => {
      if (running) return stopCamera();
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch {
        show('invalid', t('checkIn.cameraFailed'));
        return;
      }
      const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      running = true;
      button.setAttribute('aria-pressed', 'true');
      const look = async () => {
        if (!running) return;
        try {
          const [found] = await detector.detect(video);
          if (found?.rawValue && found.rawValue !== lastRead && !submit.disabled) {
            lastRead = found.rawValue;
            await scan(found.rawValue);
          }
        } catch {
          // a frame that cannot be read: try the next one
        }
        setTimeout(look, 250);
      };
      look();
    });
    return h('div', { class: 'check-in-camera' }, button, video);
  }

  function draw() {
    const form = h(
      'form',
      {
        class: 'check-in-form',
        novalidate: true,
        onSubmit: (submitted) => {
          submitted.preventDefault();
          const code = input.value.trim();
          if (!code) {
            show('invalid', t('checkIn.empty'));
            input.focus();
            return;
          }
          scan(code);
        },
      },
      h('div', { class: 'field' }, h('label', { for: input.id }, t('checkIn.code')), h('div', { class: 'check-in-row' }, input, submit)),
      h('p', { class: 'muted small' }, t('checkIn.hint')),
    );
    replace(
      el,
      h('p', { class: 'breadcrumb' }, h('a', { href: href(`/events/${event.id}`) }, event.name)),
      pageHeader(t('checkIn.title')).el,
      form,
      cameraButton(),
      result,
    );
  }

  async function load() {
    if (!isId(id)) return replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText')));
    try {
      event = await api.events.get(id, { signal: ctx.signal });
    } catch (error) {
      if (error?.name === 'AbortError') return;
      if (error?.code === 'not_found') return replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText'), h('a', { href: '#/events' }, t('event.backToList'))));
      replace(el, pageHeader(t('checkIn.title')).el, errorBox(error, {}, load));
      return;
    }
    if (currentUser()?.id !== undefined && currentUser().id !== event.owner_id) {
      replace(el, pageHeader(t('checkIn.title')).el, emptyState(t('checkIn.notOwner'), h('a', { href: href(`/events/${event.id}`) }, event.name)));
      return;
    }
    ctx.setTitle(`${t('checkIn.title')} · ${event.name}`);
    draw();
  }

  return { el, title: t('checkIn.title'), ready: load(), destroy: () => stopCamera() };
}
