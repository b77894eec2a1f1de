// What a notification says, in the reader's language: written from its `kind` and `params`, and the
// server's English `message` for a kind this client does not know (or someone's own words).

import { formatDateTime, t } from '../i18n.js';
import { shownName } from './user.js';

/** The sentence for `notification`, as plain text. */
export function noticeText(notification) {
  const params = notification.params ?? {};
  const event = params.event_name;
  switch (notification.kind) {
    case 'comment':
      return t('notice.comment', { name: shownName(params.commenter_name ?? ''), event });
    case 'places_given':
      return t('notice.placesGiven', { count: params.quantity, event });
    case 'event_moved':
      return t('notice.eventMoved', { event, when: formatDateTime(params.event_time) });
    case 'event_cancelled':
      return t('notice.eventCancelled', { event });
    default:
      return notification.message;
  }
}
