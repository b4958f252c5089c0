/**
 * Date helpers: the server speaks UTC ISO-8601, people read and type the city's time, whose zone comes
 * from GET /api/config (settings store → setCityTimeZone). Until the first answer: this device's zone.
 */

let zone: { name: string; offsetMs: number } = {
  name: Intl.DateTimeFormat().resolvedOptions().timeZone,
  offsetMs: -new Date().getTimezoneOffset() * 60000,
}

const fmtCache: Map<string, Intl.DateTimeFormat> = new Map()

/**
 * The city's zone, as /api/config gives it. Arithmetic on typed dates uses its offset (no DST in China).
 */
export function setCityTimeZone(tz: import('../api/types').PublicConfig['time_zone']) {
  zone = { name: tz.name, offsetMs: tz.utc_offset_minutes * 60000 }
  fmtCache.clear()
}

/** The city's UTC offset in milliseconds. */
export function cityOffsetMs() {
  return zone.offsetMs
}

function fmt(locale: string, opts: Intl.DateTimeFormatOptions) {
  const key = locale + JSON.stringify(opts)
  let f = fmtCache.get(key)
  if (!f) fmtCache.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone: zone.name, hour12: false, ...opts })))
  return f
}

export function formatDateTime(iso: string | null | undefined, locale = 'zh-CN') {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return fmt(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d)
}

export function formatShort(iso: string | null | undefined, locale = 'zh-CN') {
  if (!iso) return '—'
  return fmt(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

/**
 * Milliseconds until the deadline (negative when overdue).
 */
export function msUntil(iso: string, now = Date.now()) {
  return new Date(iso).getTime() - now
}

/**
 * "2天3小时" / "2d 3h" style countdown; absolute value, caller decides overdue wording.
 */
export function humanDuration(ms: number, t: (key: string, values?: Record<string, unknown>) => string,
  { hoursOnly = false } = {}) {
  const abs = Math.abs(ms)
  const mins = Math.floor(abs / 60000)
  const d = Math.floor(mins / 1440)
  const h = Math.floor((mins % 1440) / 60)
  const m = mins % 60
  if (d > 0) return t('time.dh', { d, h })
  // hoursOnly: "3小时" for a wall screen read from across the room, not "3小时12分".
  if (h > 0) return hoursOnly ? t('time.h', { h }) : t('time.hm', { h, m })
  // 超期 0分钟 read as if nothing were late.
  return m > 0 ? t('time.m', { m }) : t('time.underMinute')
}

/**
 * Value for <input type="datetime-local"> in the city's time.
 */
export function toCityLocalInput(iso: string) {
  return new Date(new Date(iso).getTime() + zone.offsetMs).toISOString().slice(0, 16)
}

/**
 * Parse a datetime-local value typed in the city's time back to ISO UTC.
 */
export function fromCityLocalInput(v: string | null | undefined) {
  if (!v) return null
  return new Date(Date.parse(`${v}:00Z`) - zone.offsetMs).toISOString()
}

/** Today's date (YYYY-MM-DD) in the city. */
export function cityToday(now = Date.now()) {
  return new Date(now + zone.offsetMs).toISOString().slice(0, 10)
}

/** The instant (ISO UTC) the city's current day began. */
export function cityDayStart(now = Date.now()) {
  return new Date(Date.parse(`${cityToday(now)}T00:00:00Z`) - zone.offsetMs).toISOString()
}

