/** Periods as the API sees them: a week (Monday first) or a month containing a local (Asia/Shanghai) date. */
const DAY = 86400000

export function todayLocal(now = Date.now()) {
  return new Date(now + 8 * 3600000).toISOString().slice(0, 10)
}

export function shift(on, kind, steps) {
  const d = new Date(`${on}T00:00:00Z`)
  if (kind === 'month') {
    d.setUTCDate(1)
    d.setUTCMonth(d.getUTCMonth() + steps)
  } else {
    d.setTime(d.getTime() + steps * 7 * DAY)
  }
  return d.toISOString().slice(0, 10)
}

/** The query parameters shared by every stats call for a period and scope. */
export function statsQuery({ period, on, unitId, includeChildren }) {
  const q = { period, on }
  if (unitId) q.unit_id = unitId
  if (unitId && includeChildren === false) q.include_children = false
  return q
}

export function pct(v) {
  return v == null ? '—' : `${(v * 100).toFixed(1)}%`
}

export function hours(v) {
  return v == null ? '—' : v < 10 ? v.toFixed(1) : Math.round(v).toString()
}
