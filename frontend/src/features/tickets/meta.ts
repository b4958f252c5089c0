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

/** 超期 (a dispatched ticket past its deadline) on a map: a red of its own, apart from every status's colour
 *  (5:1 against white, like them). */
export const OVERDUE_COLOR = '#e00020'

/**
 * A map marker in its status's colour, or OVERDUE_COLOR when overdue (MapView's markerStyle). A cluster holding an
 * overdue ticket is red with its count; any other cluster keeps the map's plain cluster (as on the map page).
 */
export function overdueMarkerStyle(t: { status: string; overdue?: boolean }) {
  return t.overdue
    ? { color: OVERDUE_COLOR, rank: 1 }
    : { color: STATUS_COLORS[t.status as keyof typeof STATUS_COLORS] || '#333', rank: 0, plainCluster: true }
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
