/**
 * What "leave the deadline empty" gives, said before a dispatch: each category's limit as the server applies it
 * (app/tickets/deadlines.py): up to `clockHoursUpTo` hours on the clock, so the time it ends (a 4-hour limit
 * dispatched at 05:09 ends at 09:09), longer ones in working days (their end depends on the office's calendar).
 */
import { formatShort } from '../../lib/time'

type Translate = (key: string, values?: Record<string, unknown>, plural?: number) => string
export interface DeadlineRule { clockHoursUpTo: number; workingDayHours: number }
export interface LimitedCategory { code: string; name_zh: string; name_en: string; default_deadline_hours: number }

export function limitText(t: Translate, hours: number, rule: DeadlineRule, now: number, locale: string): string {
  if (hours <= rule.clockHoursUpTo) {
    return t('limit.clock', { h: hours, at: formatShort(new Date(now + hours * 3_600_000).toISOString(), locale) }, hours)
  }
  const days = Math.ceil(hours / rule.workingDayHours)
  return t('limit.workdays', { d: days }, days)
}

/** One line per category of the tickets (in their order, each once): "暴露垃圾 4小时，至 12/08 09:09". */
export function defaultLimits(t: Translate, categories: (LimitedCategory | undefined)[], rule: DeadlineRule, now: number, locale: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const c of categories) {
    if (!c || seen.has(c.code)) continue
    seen.add(c.code)
    const name = locale.startsWith('zh') ? c.name_zh : c.name_en || c.name_zh
    out.push(`${name}${locale.startsWith('zh') ? ' ' : ': '}${limitText(t, c.default_deadline_hours, rule, now, locale)}`)
  }
  return out
}
