/**
 * 通知规则 and 通知对象: the message kinds and channel kinds, the settings as a form, and what of the form differs
 * from the stored settings (the PUT sends only that: an unchanged field is left alone, null restores a default).
 */
import type { ChannelKind, MessageKind, NotifySettingsIn, NotifySettingsOut, UserAdmin } from '../../api/types'

export const MESSAGE_KINDS: MessageKind[] = [
  'dispatched', 'resumed', 'rework', 'urged', 'supervised', 'voided', 'request_decided', 'request_waiting',
  'verification_waiting', 'near_deadline', 'overdue', 'digest', 'office_digest',
]
export const CHANNEL_KINDS: ChannelKind[] = ['wecom', 'dingtalk', 'webhook', 'sms']

/** The kinds each role is told in its inbox (app/notifications service and reminders): what its SMS may carry. */
export const KINDS_FOR_ROLE: Partial<Record<UserAdmin['role'], MessageKind[]>> = {
  unit_staff: ['dispatched', 'resumed', 'rework', 'urged', 'supervised', 'voided', 'request_decided', 'near_deadline', 'overdue', 'digest'],
  dispatcher: ['request_waiting', 'verification_waiting', 'office_digest'],
  leader: ['request_waiting'], // a suspension (挂账) request
  inspector: ['verification_waiting'], // a rectification of a problem they reported
}

export interface NotifyForm {
  digest_hour: string | number // '' : the deployment's default (a number input's v-model gives a number)
  near_deadline_hours: string // "72, 24"; '': the one moment the lists call 预超期
  routes: Record<string, ChannelKind[]> // every message kind; all four: not restricted
  templates: Record<string, string> // every message kind; '': the built-in text
}

export function formOf(s: NotifySettingsOut): NotifyForm {
  const routes: Record<string, ChannelKind[]> = {}
  const templates: Record<string, string> = {}
  for (const k of MESSAGE_KINDS) {
    const r = s.routes[k]
    routes[k] = r ? CHANNEL_KINDS.filter((c) => r.includes(c)) : CHANNEL_KINDS.slice()
    templates[k] = s.templates[k] ?? ''
  }
  return {
    digest_hour: String(s.digest_hour),
    near_deadline_hours: (s.near_deadline_hours || []).join(', '),
    routes,
    templates,
  }
}

/** "72, 24 48" → [72, 48, 24] (the server's order: each once, latest first); a word stays for the server to refuse. */
export function parseHours(text: string): (number | string)[] {
  const parts = String(text ?? '').split(/[\s,，、;；]+/).filter(Boolean)
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p))
  if (nums.some((n) => typeof n !== 'number')) return nums
  return [...new Set(nums as number[])].sort((a, b) => b - a)
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The fields of the form that differ from `s`, as the PUT's body ({} when nothing changed). */
export function changesOf(s: NotifySettingsOut, f: NotifyForm): NotifySettingsIn {
  const out: NotifySettingsIn = {}
  const hour = String(f.digest_hour ?? '').trim()
  if (hour === '') {
    if (s.digest_hour !== s.digest_hour_default) out.digest_hour = null
  } else if (Number(hour) !== s.digest_hour) {
    out.digest_hour = /^\d+$/.test(hour) ? Number(hour) : (hour as unknown as number)
  }
  const hours = parseHours(f.near_deadline_hours)
  const stored = s.near_deadline_hours || []
  if (!same(hours, stored)) out.near_deadline_hours = hours.length ? (hours as number[]) : null

  const routes: NonNullable<NotifySettingsIn['routes']> = {}
  for (const k of MESSAGE_KINDS) {
    const want = CHANNEL_KINDS.filter((c) => (f.routes[k] || []).includes(c))
    const had = s.routes[k] ? CHANNEL_KINDS.filter((c) => s.routes[k].includes(c)) : CHANNEL_KINDS
    if (same(want, had)) continue
    routes[k] = want.length === CHANNEL_KINDS.length ? null : want
  }
  if (Object.keys(routes).length) out.routes = routes

  const templates: NonNullable<NotifySettingsIn['templates']> = {}
  for (const k of MESSAGE_KINDS) {
    const want = (f.templates[k] || '').trim()
    const had = s.templates[k] ?? ''
    if (want === had) continue
    templates[k] = want === '' ? null : want
  }
  if (Object.keys(templates).length) out.templates = templates
  return out
}

/** The `{name}`s of a template that the kind does not offer (the server refuses them too). */
export function unknownPlaceholders(template: string, allowed: string[]): string[] {
  const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1])
  return [...new Set(names.filter((n) => !allowed.includes(n)))]
}

/** The template with each `{name}` replaced by `sample[name]` (the server's rule: nothing else is evaluated). */
export function preview(template: string, sample: Record<string, string>): string {
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => sample[name] ?? '')
}
