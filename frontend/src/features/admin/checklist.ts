/**
 * The 测评细则 editor's data: a checklist version's items as editable drafts, the body of the next version, the
 * running total in tenths of a point (what the server keeps), and the server's 422 sorted onto the items it names.
 */
import type { ChecklistIn, ChecklistItemOut, DeductionRule } from '../../api/types'

/**
 * One item being edited; numbers stay as typed until sent, so that a half-typed value is the server's to refuse (a
 * number input's v-model gives a number, or '' when empty).
 */
export interface ItemDraft {
  key: number // stable while the list is reordered (Vue's :key, the problems' owner)
  code: string
  text_zh: string
  text_en: string
  dimension: string
  points: string | number
  rule: DeductionRule
  deduction: string | number
  photos_required: string | number
  category_code: string
}

/** A problem the server found with one field of an item (or with the item as a whole: field ''). */
export interface ItemProblem {
  field: string
  message: string
}

export interface Problems {
  byKey: Record<number, ItemProblem[]>
  general: string[] // what names no item
}

let seq = 0
const nextKey = () => ++seq

/** A draft of a stored item. */
export function draftOf(item: ChecklistItemOut): ItemDraft {
  return {
    key: nextKey(),
    code: item.code,
    text_zh: item.text_zh,
    text_en: item.text_en,
    dimension: item.dimension,
    points: String(item.points),
    rule: item.rule,
    deduction: item.rule === 'per_occurrence' ? String(item.deduction) : '',
    photos_required: String(item.photos_required),
    category_code: item.category_code,
  }
}

/** The code after `code`: its trailing number plus one, keeping the width (FM07 → FM08); '' when it has none. */
export function nextCode(code: string): string {
  const m = /^(.*?)(\d+)$/.exec(code)
  if (!m) return ''
  const n = String(Number(m[2]) + 1)
  return m[1] + n.padStart(m[2].length, '0')
}

/** A new item after `after` (or at the end of `items`): the next free code, the same dimension and rule. */
export function blankItem(items: ItemDraft[], after?: ItemDraft): ItemDraft {
  const base = after || items[items.length - 1]
  const taken = new Set(items.map((i) => i.code.toUpperCase()))
  let code = base ? nextCode(base.code) : ''
  while (code && taken.has(code.toUpperCase())) code = nextCode(code)
  return {
    key: nextKey(),
    code,
    text_zh: '',
    text_en: '',
    dimension: base ? base.dimension : '',
    points: '',
    rule: base ? base.rule : 'per_occurrence',
    deduction: '',
    photos_required: '1',
    category_code: base ? base.category_code : '',
  }
}

/** Points typed as text in tenths (5.5 → 55); null when it is not a number. */
export function toTenths(text: string | number): number | null {
  const s = String(text ?? '').trim()
  if (s === '') return null
  const n = Number(s)
  return Number.isFinite(n) ? Math.round(n * 10) : null
}

/** Σ of the items' points in tenths, the ones not (yet) a number left out. */
export function totalTenths(items: ItemDraft[]): number {
  return items.reduce((sum, i) => sum + (toTenths(i.points) ?? 0), 0)
}

/** Tenths as the points people read (1000 → "100", 55 → "5.5"). */
export const pointsText = (tenths: number): string => String(tenths / 10)

/** Move the item at `index` by `by` places (−1 up, +1 down); a new array, the same one at either end. */
export function moved<T>(items: T[], index: number, by: number): T[] {
  const to = index + by
  if (index < 0 || index >= items.length || to < 0 || to >= items.length) return items
  const out = items.slice()
  const [x] = out.splice(index, 1)
  out.splice(to, 0, x)
  return out
}

function number(text: string | number): number | string | null {
  const s = String(text ?? '').trim()
  if (s === '') return null
  const n = Number(s)
  return Number.isFinite(n) ? n : s // a word goes as typed, for the server to refuse by name
}

/** The complete item list as the next version's body, in order. An all-or-nothing item sends no deduction. */
export function bodyOf(items: ItemDraft[]): ChecklistIn {
  return {
    items: items.map((i) => ({
      code: i.code.trim(),
      text_zh: i.text_zh.trim(),
      text_en: i.text_en.trim(),
      dimension: i.dimension.trim(),
      points: number(i.points) as number,
      rule: i.rule,
      deduction: i.rule === 'all_or_nothing' ? null : number(i.deduction),
      photos_required: (number(i.photos_required) ?? 1) as number,
      category_code: i.category_code,
    })),
  }
}

/** Whether the drafts differ from the stored items (what a save would change). */
export function changed(items: ItemDraft[], stored: ChecklistItemOut[]): boolean {
  return JSON.stringify(bodyOf(items)) !== JSON.stringify(bodyOf(stored.map(draftOf)))
}

/**
 * The server's 422 on the items sent (`sent`, in the order sent): invalid_checklist's {index, field, message} and
 * a validation error's {loc: ['body', 'items', index, field], msg}, each put on its item's key; the rest general.
 */
export function problemsOf(details: unknown, sent: ItemDraft[]): Problems {
  const out: Problems = { byKey: {}, general: [] }
  const add = (index: number, p: ItemProblem) => {
    const item = sent[index]
    if (!item) {
      out.general.push(`#${index + 1} ${p.field ? `${p.field}: ` : ''}${p.message}`)
      return
    }
    ;(out.byKey[item.key] ||= []).push(p)
  }
  for (const d of Array.isArray(details) ? details : []) {
    if (!d || typeof d !== 'object') {
      out.general.push(String(d))
      continue
    }
    const x = d as Record<string, unknown>
    if (typeof x.index === 'number') {
      add(x.index, { field: String(x.field ?? ''), message: String(x.message ?? x.msg ?? '') })
      continue
    }
    const loc = Array.isArray(x.loc) ? x.loc : null
    if (loc && loc[0] === 'body' && loc[1] === 'items' && typeof loc[2] === 'number') {
      add(loc[2], { field: loc.length > 3 ? String(loc[3]) : '', message: String(x.msg ?? x.message ?? '') })
      continue
    }
    const where = loc ? loc.filter((l) => l !== 'body').join('.') : ''
    out.general.push([where, String(x.msg ?? x.message ?? '')].filter(Boolean).join(': '))
  }
  return out
}
