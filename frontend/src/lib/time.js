/** Date display helpers: the server speaks UTC ISO-8601, people read Asia/Shanghai. */
const TZ = 'Asia/Shanghai'

const fmtCache = new Map()
function fmt(locale, opts) {
  const key = locale + JSON.stringify(opts)
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat(locale, { timeZone: TZ, hour12: false, ...opts }))
  return fmtCache.get(key)
}

export function formatDateTime(iso, locale = 'zh-CN') {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return fmt(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d)
}

export function formatShort(iso, locale = 'zh-CN') {
  if (!iso) return '—'
  return fmt(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

/** Milliseconds until the deadline (negative when overdue). */
export function msUntil(iso, now = Date.now()) {
  return new Date(iso).getTime() - now
}

/** "2天3小时" / "2d 3h" style countdown; absolute value, caller decides overdue wording. */
export function humanDuration(ms, t) {
  const abs = Math.abs(ms)
  const mins = Math.floor(abs / 60000)
  const d = Math.floor(mins / 1440)
  const h = Math.floor((mins % 1440) / 60)
  const m = mins % 60
  if (d > 0) return t('time.dh', { d, h })
  if (h > 0) return t('time.hm', { h, m })
  return t('time.m', { m })
}

/** Value for <input type="datetime-local"> in Asia/Shanghai (UTC+8, no DST). */
export function toShanghaiLocalInput(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000)
  return d.toISOString().slice(0, 16)
}

/** Parse a datetime-local value typed in Asia/Shanghai back to ISO UTC. */
export function fromShanghaiLocalInput(v) {
  if (!v) return null
  return new Date(`${v}:00+08:00`).toISOString()
}
