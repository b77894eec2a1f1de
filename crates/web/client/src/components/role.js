// An admin's control of someone's role: the role, a reason for the public log, a button. What the
// server answers (the last admin staying one, say) is shown in the form.

import * as api from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { currentUser, store } from '../store.js';
import { remember } from '../users.js';
import { checks, createForm, field } from './form.js';
import { toast } from './toast.js';

export const ROLES = ['member', 'moderator', 'admin'];

/** The form for `user`'s role. After the server took the change the user is remembered, and an admin who
 * changed their own role has it in the store at once (the header and the pages that follow it redraw);
 * then `onChanged(updated, { self })` runs. `labelledBy` names what labels the form already (a <summary>,
 * say); without it the form brings a hidden heading. */
export function roleForm(user, onChanged, { labelledBy = null } = {}) {
  const headingId = labelledBy ?? uid('role');
  const role = field({
    name: 'role',
    label: t('role.label'),
    value: user.role,
    options: ROLES.map((value) => ({ value, label: t(`role.${value}`) })),
  });
  const reason = field({ name: 'reason', label: t('role.reason'), hint: t('role.reasonHint'), maxlength: 1000, optional: true });
  const form = createForm({
    fields: [role, reason],
    submitLabel: t('role.save'),
    labelledBy: headingId,
    messages: { last_admin: t('error.last_admin'), forbidden: t('role.onlyAdmins') },
    validate: (values) => ({ reason: checks.maxChars(values.reason, 1000) }),
    onSubmit: async (values) => {
      const updated = await api.users.setRole(user.id, values.role, values.reason.trim());
      reason.input.value = '';
      toast(t('role.changed', { name: updated.username, role: t(`role.${updated.role}`) }));
      remember(updated);
      const self = currentUser()?.id === updated.id;
      if (self) store.set({ user: { ...currentUser(), role: updated.role } });
      onChanged(updated, { self });
    },
  });
  const heading = labelledBy ? null : h('h3', { id: headingId, class: 'visually-hidden' }, t('role.title', { name: user.username }));
  return h('div', { class: 'role-form' }, heading, form.el);
}
