// What a notification says, in the reader's language: written from its `kind` and `params`, and the
// server's English `message` for a kind this client does not know (or someone's own words).

import { formatDateTime, t } from '../i18n.js';

/** The parts each kind's sentence needs: without one of them, the server's own sentence is shown. */
const NEEDS = {
  comment: ['commenter_name', 'event_name'],
  places_given: ['quantity', 'event_name'],
  event_moved: ['event_time', 'event_name'],
  event_cancelled: ['event_name'],
};

/** The sentence for `notification`, as plain text; `sender` is the sending account when known (a deleted
 * one is named in the reader's language). */
export function noticeText(notification, sender = null) {
  const params = notification.params ?? {};
  const needs = NEEDS[notification.kind];
  if (!needs || needs.some((name) => params[name] === undefined || params[name] === null)) return notification.message;
  const event = params.event_name;
  switch (notification.kind) {
    case 'comment':
      return t('notice.comment', { name: sender?.deleted ? t('user.deleted') : params.commenter_name, event });
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
