// Creating an event, and editing one's own (PATCH with only the fields that changed).

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t, timeZone } from '../i18n.js';
import { navigate } from '../router.js';
import { currentUser, store } from '../store.js';
import { checks, createForm, field } from '../components/form.js';
import { emptyState, errorBox, isId, loading, pageHeader } from '../components/page.js';
import { toast } from '../components/toast.js';

const pad = (number) => String(number).padStart(2, '0');

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
        replace(el, pageHeader(error?.code === 'not_found' ? t('event.missing') : title).el, errorBox(error));
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
    };
    const minTickets = event?.tickets_sold ?? 0;
    const fields = [
      field({ name: 'name', label: t('eventForm.name'), value: initial.name, required: true, maxlength: 200, autocomplete: 'off' }),
      field({ name: 'event_time', label: t('eventForm.time'), type: 'datetime-local', value: initial.event_time, required: true, hint: t('eventForm.timeHint', { zone: timeZone() }) }),
      field({ name: 'duration_hours', label: t('eventForm.hours'), type: 'number', value: initial.duration_hours, min: 0, max: 8784, step: 1, inputmode: 'numeric', required: true }),
      field({ name: 'duration_minutes', label: t('eventForm.minutes'), type: 'number', value: initial.duration_minutes, min: 0, max: 59, step: 1, inputmode: 'numeric', required: true }),
      field({ name: 'max_tickets', label: t('eventForm.maxTickets'), type: 'number', value: initial.max_tickets, min: minTickets, max: 1000000, step: 1, inputmode: 'numeric', required: true, hint: event ? t('eventForm.maxTicketsSold', { count: minTickets, sold: minTickets }) : t('eventForm.maxTicketsHint') }),
      field({ name: 'description', label: t('eventForm.description'), value: initial.description, multiline: true, rows: 6, maxlength: 10000, optional: true }),
    ];
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
      ],
      validate: (values) => ({
        name: checks.required(values.name) ?? checks.maxChars(values.name, 200),
        event_time: checks.required(values.event_time),
        duration_hours: checks.integer(values.duration_hours, 0, 8784),
        duration_minutes: checks.integer(values.duration_minutes, 0, 59),
        max_tickets: checks.integer(values.max_tickets, minTickets, 1000000),
        description: checks.maxChars(values.description, 10000),
      }),
      onSubmit: async (values) => {
        const body = {
          name: values.name,
          event_time: fromLocalInput(values.event_time),
          duration_hours: Number(values.duration_hours),
          duration_minutes: Number(values.duration_minutes),
          max_tickets: Number(values.max_tickets),
          description: values.description,
        };
        if (!event) {
          const created = await api.events.create(body);
          toast(t('eventForm.created'));
          navigate(`/events/${created.id}`);
          return;
        }
        const patch = {};
        for (const key of Object.keys(body)) {
          if (values[key] !== initial[key]) patch[key] = body[key];
        }
        if (Object.keys(patch).length > 0) await api.events.update(event.id, patch);
        toast(Object.keys(patch).length > 0 ? t('eventForm.saved') : t('eventForm.unchanged'), { kind: Object.keys(patch).length ? 'success' : 'info' });
        navigate(`/events/${event.id}`);
      },
    });
    const cancel = h('a', { class: 'btn btn-ghost', href: event ? `#/events/${event.id}` : '#/events' }, t('action.cancel'));
    form.el.querySelector('.form-actions').append(cancel);
    replace(el, pageHeader(title).el, h('div', { class: 'panel' }, form.el));
  }

  return { el, title, ready: load() };
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
