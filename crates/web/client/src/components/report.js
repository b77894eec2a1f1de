// Reporting something to the moderators: a small button that opens a dialog asking why (spam,
// harassment, illegal, other) with an optional note. Shown to signed-in readers on what others wrote.

import * as api from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { currentUser } from '../store.js';
import { checks, createForm, field } from './form.js';
import { toast } from './toast.js';

export const REASONS = ['spam', 'harassment', 'illegal', 'other'];

/** Whether the reader may report what `authorId` wrote (or the account `authorId`): signed in, and not theirs. */
export const mayReport = (authorId) => {
  const me = currentUser();
  return Boolean(me) && me.id !== authorId;
};

/** Whether the reader looks after the community (a moderator or an admin). */
export const isStaff = () => ['moderator', 'admin'].includes(currentUser()?.role);

/** A "Report" button for `target` ({kind, id}); `name` says what it is, for the button's accessible name. */
export function reportButton(target, name) {
  return h(
    'button',
    { type: 'button', class: 'btn btn-ghost btn-small report-button', 'aria-label': t('report.buttonFor', { name }), onClick: () => openReport(target, name) },
    t('report.button'),
  );
}

/** The dialog: why, a note, send. Closes on success (with a toast) or on Escape/Cancel. */
export function openReport(target, name) {
  const opener = document.activeElement;
  const titleId = uid('report-title');
  const reason = field({ name: 'reason', label: t('report.reason'), value: 'spam', options: REASONS.map((value) => ({ value, label: t(`report.reason.${value}`) })) });
  const note = field({ name: 'note', label: t('report.note'), hint: t('report.noteHint'), multiline: true, rows: 3, maxlength: 1000, optional: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, t('action.cancel'));
  const form = createForm({
    fields: [reason, note],
    submitLabel: t('report.send'),
    labelledBy: titleId,
    messages: { already_reported: t('report.already') },
    validate: (values) => ({ note: checks.maxChars(values.note, 1000) }),
    onSubmit: async (values) => {
      await api.reports.create(target, values.reason, values.note.trim());
      toast(t('report.sent'));
      dialog.close();
    },
  });
  form.submit.parentElement.append(cancel);
  const dialog = h(
    'dialog',
    { class: 'dialog report-dialog', 'aria-labelledby': titleId },
    h('div', { class: 'dialog-body' }, h('h2', { id: titleId, class: 'dialog-title' }, t('report.title', { name })), h('p', { class: 'muted' }, t('report.intro')), form.el),
  );
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  reason.input.focus();
}
