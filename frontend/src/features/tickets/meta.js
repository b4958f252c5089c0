/** Status colours (shared by tags, cards and map markers). */
export const STATUS_COLORS = {
  reported: '#1989fa',
  dispatched: '#ff976a',
  rectified: '#7232dd',
  closed: '#07c160',
  cancelled: '#969799',
}

export const STATUSES = ['reported', 'dispatched', 'rectified', 'closed', 'cancelled']

export function categoryName(t, locale) {
  return (locale === 'en' ? t.category_name_en : t.category_name_zh) || t.category_name_zh || t.category_code
}

export function isReturned(t) {
  return t.status === 'reported' && !!t.dispatched_at
}
