// A moderator's control of a ban on someone's profile: the ban that holds, with a button to lift it, or
// a form to give one (why, and until when or for good).

import * as api from '../api.js';
import { h, uid } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { errorMessage } from '../errors.js';
import { checks, createForm, field } from './form.js';
import { time } from './page.js';
import { toast } from './toast.js';

/** `datetime-local` gives a wall-clock time without a zone: it is the reader's own. */
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

export function banPanel(user, onChanged) {
  const summaryId = uid('ban');
  const panel = h('details', { class: 'panel ban-panel', open: user.ban ? true : undefined }, h('summary', { id: summaryId }, t('ban.title', { name: user.username })));
  if (user.ban) {
    const lift = h('button', { type: 'button', class: 'btn btn-secondary' }, t('ban.lift'));
    lift.addEventListener('click', async () => {
      lift.disabled = true;
      try {
        const updated = await api.users.liftBan(user.id);
        toast(t('ban.lifted', { name: user.username }));
        onChanged(updated);
      } catch (error) {
        lift.disabled = false;
        toast(errorMessage(error), { kind: 'error' });
      }
    });
    panel.append(
      h('p', { class: 'ban-state' }, user.ban.until
        ? tNodes('ban.bannedUntil', { time: time(user.ban.until, { dateStyle: 'medium', timeStyle: 'short' }) })
        : t('ban.bannedForGood')),
      h('p', { class: 'modlog-reason' }, tNodes('modlog.reason', { reason: user.ban.reason })),
      lift,
    );
    return panel;
  }
  const reason = field({ name: 'reason', label: t('ban.reason'), hint: t('ban.reasonHint'), multiline: true, rows: 2, required: true, maxlength: 1000 });
  const until = field({ name: 'until', label: t('ban.until'), type: 'datetime-local', hint: t('ban.untilHint'), optional: true });
  const form = createForm({
    fields: [reason, until],
    submitLabel: t('ban.submit'),
    labelledBy: summaryId,
    validate: (values) => ({
      reason: checks.required(values.reason) ?? checks.maxChars(values.reason, 1000),
      until: values.until && new Date(values.until) <= new Date() ? t('ban.untilPast') : null,
    }),
    onSubmit: async (values) => {
      const updated = await api.users.ban(user.id, values.reason, fromLocalInput(values.until));
      toast(t('ban.done', { name: user.username }));
      onChanged(updated);
    },
  });
  panel.append(form.el);
  return panel;
}
