// Creating an event, and editing one's own (PATCH with only the fields that changed).

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t, timeZone } from '../i18n.js';
import { navigate } from '../router.js';
import { currentUser, store } from '../store.js';
import { checks, createForm, field } from '../components/form.js';
import { emptyState, errorBox, isId, loading, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';
import { errorMessage } from '../errors.js';

const pad = (number) => String(number).padStart(2, '0');

/** A coordinate field: empty, or a number within its range. */
function coordinate(value, min, max) {
  const text = String(value).trim();
  if (text === '') return null;
  const number = Number(text);
  return Number.isFinite(number) && number >= min && number <= max ? null : t('field.between', { min, max });
}

/** An API date-time as the value of a datetime-local input, in the reader's zone. */
function toLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value (reader's zone) as RFC 3339 UTC for the API. */
function fromLocalInput(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

export default function EventFormPage(ctx) {
  const editing = ctx.params.id !== undefined;
  const title = editing ? t('eventForm.editTitle') : t('eventForm.newTitle');
  const el = h('section', { class: 'page page-event-form narrow' }, pageHeader(title).el, loading());

  async function load() {
    let event = null;
    if (editing) {
      if (!isId(ctx.params.id)) {
        replace(el, pageHeader(t('event.missing')).el, emptyState(t('event.missingText'), h('a', { href: '#/events' }, t('event.backToList'))));
        return;
      }
      try {
        event = await api.events.get(ctx.params.id, { signal: ctx.signal });
      } catch (error) {
        if (error?.name === 'AbortError') return;
        replace(el, pageHeader(error?.code === 'not_found' ? t('event.missing') : title).el, errorBox(error, {}, load));
        return;
      }
      const me = currentUser() ?? (await waitForUser());
      if (me && me.id !== event.owner_id) {
        replace(el, pageHeader(title).el, h('div', { class: 'alert alert-error', role: 'alert' }, t('eventForm.notOwner')), h('p', {}, h('a', { href: `#/events/${event.id}` }, t('eventForm.backToEvent'))));
        return;
      }
      ctx.setTitle(`${title}: ${event.name}`);
    }
    draw(event);
  }

  function draw(event) {
    const initial = {
      name: event?.name ?? '',
      event_time: event ? toLocalInput(event.event_time) : '',
      duration_hours: String(event?.duration_hours ?? 2),
      duration_minutes: String(event?.duration_minutes ?? 0),
      max_tickets: String(event?.max_tickets ?? 50),
      description: event?.description ?? '',
      venue: event?.venue ?? '',
      address: event?.address ?? '',
      latitude: event?.latitude == null ? '' : String(event.latitude),
      longitude: event?.longitude == null ? '' : String(event.longitude),
      online_url: event?.online_url ?? '',
      image_alt: event?.image_alt ?? '',
    };
    const minTickets = event?.tickets_sold ?? 0;
    const fields = [
      field({ name: 'name', label: t('eventForm.name'), value: initial.name, required: true, maxlength: 200, autocomplete: 'off' }),
      field({ name: 'event_time', label: t('eventForm.time'), type: 'datetime-local', value: initial.event_time, required: true, hint: t('eventForm.timeHint', { zone: timeZone() }) }),
      field({ name: 'duration_hours', label: t('eventForm.hours'), type: 'number', value: initial.duration_hours, min: 0, max: 8784, step: 1, inputmode: 'numeric', required: true }),
      field({ name: 'duration_minutes', label: t('eventForm.minutes'), type: 'number', value: initial.duration_minutes, min: 0, max: 59, step: 1, inputmode: 'numeric', required: true }),
      field({ name: 'max_tickets', label: t('eventForm.maxTickets'), type: 'number', value: initial.max_tickets, min: minTickets, max: 1000000, step: 1, inputmode: 'numeric', required: true, hint: event ? t('eventForm.maxTicketsSold', { count: minTickets, sold: minTickets }) : t('eventForm.maxTicketsHint') }),
      field({ name: 'description', label: t('eventForm.description'), value: initial.description, multiline: true, rows: 6, maxlength: 10000, optional: true }),
      field({ name: 'venue', label: t('eventForm.venue'), value: initial.venue, maxlength: 200, optional: true, autocomplete: 'off' }),
      field({ name: 'address', label: t('eventForm.address'), value: initial.address, multiline: true, rows: 3, maxlength: 500, optional: true, autocomplete: 'street-address' }),
      field({ name: 'latitude', label: t('eventForm.latitude'), type: 'number', value: initial.latitude, min: -90, max: 90, step: 'any', inputmode: 'decimal', optional: true }),
      field({ name: 'longitude', label: t('eventForm.longitude'), type: 'number', value: initial.longitude, min: -180, max: 180, step: 'any', inputmode: 'decimal', optional: true }),
      field({ name: 'online_url', label: t('eventForm.onlineUrl'), type: 'url', value: initial.online_url, maxlength: 2000, optional: true, placeholder: 'https://', hint: t('eventForm.onlineUrlHint') }),
      field({ name: 'image', label: event?.image_url ? t('eventForm.newImage') : t('eventForm.image'), type: 'file', accept: IMAGE_TYPES.join(','), optional: true, hint: t('eventForm.imageHint') }),
      field({ name: 'image_alt', label: t('eventForm.imageAlt'), value: initial.image_alt, maxlength: 300, autocomplete: 'off', hint: t('eventForm.imageAltHint') }),
    ];
    const chosenImage = () => fields[11].input.files?.[0] ?? null;
    const form = createForm({
      fields,
      submitLabel: event ? t('action.save') : t('eventForm.create'),
      className: 'form-event',
      body: [
        fields[0].el,
        fields[1].el,
        h('fieldset', { class: 'fieldset' }, h('legend', {}, t('eventForm.duration')), h('div', { class: 'field-row' }, fields[2].el, fields[3].el)),
        fields[4].el,
        fields[5].el,
        h(
          'fieldset',
          { class: 'fieldset' },
          h('legend', {}, t('eventForm.where')),
          h('p', { class: 'field-hint' }, t('eventForm.whereHint')),
          fields[6].el,
          fields[7].el,
          h('div', { class: 'field-row' }, fields[8].el, fields[9].el),
          fields[10].el,
        ),
        h(
          'fieldset',
          { class: 'fieldset' },
          h('legend', {}, t('eventForm.picture')),
          event?.image_url ? h('img', { class: 'event-image-current', src: event.image_url, alt: event.image_alt ?? '' }) : null,
          fields[11].el,
          fields[12].el,
        ),
      ],
      validate: (values) => ({
        name: checks.required(values.name) ?? checks.maxChars(values.name, 200),
        event_time: checks.required(values.event_time),
        duration_hours: checks.integer(values.duration_hours, 0, 8784),
        duration_minutes: checks.integer(values.duration_minutes, 0, 59),
        max_tickets: checks.integer(values.max_tickets, minTickets, 1000000),
        description: checks.maxChars(values.description, 10000),
        venue: checks.maxChars(values.venue, 200),
        address: checks.maxChars(values.address, 500),
        latitude: coordinate(values.latitude, -90, 90) ?? (values.latitude.trim() === '' && values.longitude.trim() !== '' ? t('eventForm.pointTogether') : null),
        longitude: coordinate(values.longitude, -180, 180) ?? (values.longitude.trim() === '' && values.latitude.trim() !== '' ? t('eventForm.pointTogether') : null),
        online_url: values.online_url.trim() && !/^https?:\/\/[^\s/]+/i.test(values.online_url.trim()) ? t('eventForm.onlineUrlInvalid') : null,
        image: imageProblem(chosenImage()),
        image_alt: chosenImage() ? (checks.required(values.image_alt.trim()) ?? checks.maxChars(values.image_alt, 300)) : null,
      }),
      onSubmit: async (values) => {
        const body = {
          name: values.name,
          event_time: fromLocalInput(values.event_time),
          duration_hours: Number(values.duration_hours),
          duration_minutes: Number(values.duration_minutes),
          max_tickets: Number(values.max_tickets),
          description: values.description,
          venue: values.venue.trim() ? values.venue : null,
          address: values.address.trim() ? values.address : null,
          latitude: values.latitude.trim() === '' ? null : Number(values.latitude),
          longitude: values.longitude.trim() === '' ? null : Number(values.longitude),
          online_url: values.online_url.trim() ? values.online_url.trim() : null,
        };
        const image = chosenImage();
        /** The picture goes up once the event exists; if it is refused, the event stays and says why. */
        const upload = async (eventId) => {
          if (!image) return true;
          try {
            await api.events.setImage(eventId, image, values.image_alt.trim());
            return true;
          } catch (error) {
            toast(t('eventForm.imageFailed', { reason: errorMessage(error, { payload_too_large: t('settings.avatarTooLarge'), unsupported_media_type: t('settings.avatarUnsupported') }) }), { kind: 'error' });
            return false;
          }
        };
        if (!event) {
          const created = await api.events.create(body);
          const pictured = await upload(created.id);
          toast(t('eventForm.created'));
          navigate(pictured ? `/events/${created.id}` : `/events/${created.id}/edit`);
          return;
        }
        const patch = {};
        for (const key of Object.keys(body)) {
          if (values[key] !== initial[key]) patch[key] = body[key];
        }
        // The two coordinates travel together, as the API wants them.
        if ('latitude' in patch || 'longitude' in patch) Object.assign(patch, { latitude: body.latitude, longitude: body.longitude });
        if (Object.keys(patch).length > 0) await api.events.update(event.id, patch);
        if (!(await upload(event.id))) return;
        const changed = Object.keys(patch).length > 0 || image !== null;
        toast(changed ? t('eventForm.saved') : t('eventForm.unchanged'), { kind: changed ? 'success' : 'info' });
        navigate(`/events/${event.id}`);
      },
    });
    const cancel = h('a', { class: 'btn btn-ghost', href: event ? `#/events/${event.id}` : '#/events' }, t('action.cancel'));
    form.el.querySelector('.form-actions').append(cancel);
    replace(el, pageHeader(title).el, h('div', { class: 'panel' }, form.el));
  }

  return { el, title, ready: load() };
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const IMAGE_MAX_BYTES = 2 * 1024 * 1024;

/** Why a chosen picture cannot go up, checked before sending (the server checks its bytes again). */
function imageProblem(file) {
  if (!file) return null;
  if (!IMAGE_TYPES.includes(file.type)) return t('settings.avatarType');
  if (file.size > IMAGE_MAX_BYTES) return t('settings.avatarSize', { size: (file.size / (1024 * 1024)).toFixed(1) });
  return null;
}

/** The signed-in user once /users/me has answered (right after a reload it may still be on its way). */
function waitForUser() {
  return new Promise((resolve) => {
    if (!store.get().token) return resolve(null);
    const stop = store.subscribe((state) => {
      if (state.user || !state.token) {
        stop();
        resolve(state.user);
      }
    });
    setTimeout(() => {
      stop();
      resolve(store.get().user);
    }, 5000);
  });
}
