// A confirmation in a modal <dialog>, labelled by its heading and described by its text. Escape or
// "Cancel" answers false; focus starts on "Cancel" and returns to where it was.

import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export function confirmDialog({ title, message, confirmLabel, danger = true }) {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const messageId = uid('dialog-text');
    const opener = document.activeElement;
    const cancel = h('button', { type: 'submit', value: 'cancel', class: 'btn btn-secondary', autofocus: true }, t('action.cancel'));
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': messageId },
      h(
        'form',
        { method: 'dialog', class: 'dialog-body' },
        h('h2', { id: titleId, class: 'dialog-title' }, title),
        h('p', { id: messageId }, message),
        h(
          'div',
          { class: 'dialog-actions' },
          cancel,
          h('button', { type: 'submit', value: 'confirm', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
