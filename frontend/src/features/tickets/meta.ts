/** Status colours (shared by tags, cards and map markers). */
/** Each status's colour, behind white text in a tag: all ≥ 4.5:1 against white (WCAG AA; Lighthouse checks it). */
export const STATUS_COLORS = {
  reported: '#1a6dcc',
  dispatched: '#b8501f',
  rectified: '#7232dd',
  closed: '#067a3c',
  cancelled: '#6b6d70',
  suspended: '#0b6e79',
  voided: '#2e3138',
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
