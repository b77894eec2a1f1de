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

  const resultId = uid('check-in-result');
  const result = h('div', { class: 'check-in-result', id: resultId, role: 'status', 'aria-live': 'assertive', tabindex: '-1' });
  const input = h('input', { id: uid('code'), name: 'code', class: 'check-in-code', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true, 'aria-describedby': resultId });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('checkIn.submit'));

  /** Shows one answer, in words and in colour (never colour alone). */
  function show(kind, heading, detail = null) {
    result.className = `check-in-result check-in-${kind}`;
    replace(result, h('p', { class: 'check-in-verdict' }, heading), detail ? h('p', { class: 'check-in-detail' }, detail) : null);
  }

  /** Sends one scan; a network failure is retried with the same nonce, so a lost answer never turns a
   * first scan into "already checked in". */
  async function scan(code) {
    const nonce = newNonce();
    submit.disabled = true;
    show('pending', t('checkIn.checking'));
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const { ticket } = await api.events.checkIn(event.id, code, nonce);
          show('admitted', t('checkIn.admitted'), t('checkIn.admittedDetail', { code: code.slice(0, 8) }));
          return ticket;
        } catch (error) {
          if (error?.code === 'network' && attempt < 3) continue;
          throw error;
        }
      }
    } catch (error) {
      if (error?.code === 'already_checked_in') {
        const at = error.body?.checked_in_at;
        show('used', t('checkIn.alreadyIn'), at ? t('checkIn.alreadyInAt', { time: formatDateTime(at, { dateStyle: 'medium', timeStyle: 'medium' }) }) : null);
      } else if (error?.code === 'not_found' || error?.code === 'ticket_cancelled') {
        show('invalid', t('checkIn.invalid'), error.code === 'ticket_cancelled' ? t('checkIn.cancelledDetail') : t('checkIn.unknownDetail'));
      } else {
        show('invalid', t('checkIn.failed'), errorMessage(error));
      }
      return null;
    } finally {
      submit.disabled = false;
      input.value = '';
      input.focus();
    }
  }

  /** The camera, where the browser can read QR codes itself (BarcodeDetector): each code read is scanned once. */
  function cameraButton() {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return null;
    const video = h('video', { class: 'check-in-video', muted: true, playsinline: true, hidden: true });
    const button = h('button', { type: 'button', class: 'btn btn-secondary', 'aria-pressed': 'false' }, t('checkIn.camera'));
    let stream = null;
    let last = null;
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
          if (found?.rawValue && found.rawValue !== last && !submit.disabled) {
            last = found.rawValue;
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
