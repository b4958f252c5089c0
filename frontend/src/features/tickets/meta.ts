/** Status colours (shared by tags, cards and map markers). */
export const STATUS_COLORS = {
  reported: '#1989fa',
  dispatched: '#ff976a',
  rectified: '#7232dd',
  closed: '#07c160',
  cancelled: '#969799',
  suspended: '#b37feb',
  voided: '#646566',
}

export function categoryName(t, locale) {
  return (locale === 'en' ? t.category_name_en : t.category_name_zh) || t.category_name_zh || t.category_code
}

export function isReturned(t) {
  return t.status === 'reported' && !!t.dispatched_at
}

/**
 * 超期 as the server defines it, from its `overdue` field. A copy read offline may predate the deadline
 * passing; then the same rule (dispatched, deadline passed) applies on the phone, here only.
 */
export function isOverdue(t, now = Date.now()) {
  return !!t.overdue || (t.status === 'dispatched' && !!t.deadline_at && new Date(t.deadline_at).getTime() < now)
}
