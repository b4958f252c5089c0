/** Periods as the API sees them: a week (Monday first) or a month containing a date in the city's time. */
const DAY = 86400000

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
export function statsQuery({ period, on, unitId, includeChildren }: { period: string; on: string; unitId?: number | null; includeChildren?: boolean }) {
  const q: { period: string; on: string; unit_id?: number; include_children?: boolean } = { period, on }
  if (unitId) q.unit_id = unitId
  if (unitId && includeChildren === false) q.include_children = false
  return q
}

/**
 * x rounded to `digits` decimals half away from zero (四舍五入) on its decimal value, as a person counting by hand,
 * the Excel file and the printout round it: a rate of 3802/4000 is 95.05 % and shows as 95.1 %. Rounding the float
 * itself would not: 0.9505 × 100 is 95.0499…97 in binary, which toFixed(1) gives as 95.0. Twelve significant digits
 * drop that noise and keep every real digit of a ratio of counts.
 */
export function roundHalfUp(x: number, digits = 1): number {
  const scaled = Number((Math.abs(x) * 10 ** digits).toPrecision(12))
  return (Math.sign(x) * Math.round(scaled)) / 10 ** digits || 0
}

export function pct(v: number | null | undefined, digits = 1) {
  return v == null ? '—' : `${roundHalfUp(v * 100, digits).toFixed(digits)}%`
}

/** 返工率 is a few in a hundred: two decimals, as the printout and the Excel file give it (6.67 %, not 6.7 %);
 * every other rate one. */
export function rateDigits(key: string) {
  return key === 'rework_rate' ? 2 : 1
}

export function hours(v) {
  return v == null ? '—' : v < 10 ? roundHalfUp(v, 1).toFixed(1) : roundHalfUp(v, 0).toString()
}

/** ISO-8601 week number and its year for a YYYY-MM-DD date. */
function isoWeek(ymd) {
  const d = new Date(`${ymd}T00:00:00Z`)
  const day = (d.getUTCDay() + 6) % 7 // Monday 0
  d.setUTCDate(d.getUTCDate() - day + 3) // the Thursday of this week decides the year
  const year = d.getUTCFullYear()
  const week = 1 + Math.floor((d.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY))
  return { year, week }
}

/** The period's name in the UI language: the API's label is Chinese (it is printed on bulletins). */
export function periodLabel(p, locale) {
  if (!p) return ''
  if (locale !== 'en') return p.label
  const md = (s) => s.slice(5)
  if (p.kind === 'week') {
    const { year, week } = isoWeek(p.start_date)
    return `Week ${week}, ${year} (${md(p.start_date)} ~ ${md(p.end_date)})`
  }
  if (p.kind === 'month') {
    const d = new Date(`${p.start_date}T00:00:00Z`)
    return d.toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
  }
  return `${p.start_date} ~ ${p.end_date}`
}

/**
 * 环比: the change of a figure on the previous period, as the dashboard shows it beside the figure.
 * Counts as a difference (↑3, ↓1), rates in percentage points (↑2.5pp / ↑2.5个百分点), hours as a difference
 * of hours; `null` when either side is missing (a rate over nothing), `dir` 0 when unchanged.
 */
export function delta(cur, prev, kind = 'count', digits = 1) {
  if (cur == null || prev == null) return null
  const d = roundHalfUp(kind === 'rate' ? (cur - prev) * 100 : cur - prev, kind === 'rate' ? digits : 1)
  const dir = d > 0 ? 1 : d < 0 ? -1 : 0
  const size = Math.abs(d)
  const text = kind === 'rate' ? size.toFixed(digits) : kind === 'hours' ? hours(size) : String(size)
  return { dir, arrow: dir > 0 ? '↑' : dir < 0 ? '↓' : '→', value: d, text }
}
