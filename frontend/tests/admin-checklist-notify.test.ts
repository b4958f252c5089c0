import { describe, it, expect } from 'vitest'
import type { ChecklistItemOut, NotifySettingsOut } from '../src/api/types'
import { draftOf, blankItem, nextCode, toTenths, totalTenths, moved, bodyOf, changed, problemsOf } from '../src/features/admin/checklist'
import { MESSAGE_KINDS, CHANNEL_KINDS, formOf, changesOf, parseHours, unknownPlaceholders, preview } from '../src/features/admin/notify'

const item = (over: Partial<ChecklistItemOut> = {}): ChecklistItemOut => ({
  id: 1, code: 'FM01', position: 1, text_zh: '地面无垃圾', text_en: '', dimension: '环境卫生', points: 5.5, points_tenths: 55,
  rule: 'per_occurrence', deduction: 1, deduction_tenths: 10, photos_required: 1, category_code: '06011', ...over,
})

describe('the checklist editor\'s drafts', () => {
  it('numbers a new item after the last one, skipping codes taken, with its dimension and rule', () => {
    expect(nextCode('FM07')).toBe('FM08')
    expect(nextCode('A-9')).toBe('A-10')
    expect(nextCode('X')).toBe('')
    const items = [draftOf(item()), draftOf(item({ code: 'FM02' }))]
    const first = blankItem(items, items[0])
    expect(first.code).toBe('FM03')
    expect(first.dimension).toBe('环境卫生')
    expect(first.key).not.toBe(items[0].key)
  })
  it('totals points in tenths, leaving out what is not a number yet', () => {
    const items = [draftOf(item()), draftOf(item({ points: 94.5 })), { ...blankItem([]), points: 'abc' }]
    expect(toTenths('0.1')).toBe(1)
    expect(toTenths('')).toBeNull()
    expect(totalTenths(items)).toBe(1000)
  })
  it('moves an item up and down, and not past either end', () => {
    expect(moved([1, 2, 3], 2, -1)).toEqual([1, 3, 2])
    expect(moved([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    const same = [1, 2]
    expect(moved(same, 0, -1)).toBe(same)
  })
  it('sends the complete list, an all-or-nothing item without a deduction, and a word as typed', () => {
    const a = { ...draftOf(item()), rule: 'all_or_nothing' as const, deduction: '3' }
    const b = { ...draftOf(item({ code: 'FM02' })), points: ' 2.5 ', deduction: 'x' }
    const body = bodyOf([a, b])
    expect(body.items[0]).toMatchObject({ code: 'FM01', points: 5.5, rule: 'all_or_nothing', deduction: null, photos_required: 1 })
    expect(body.items[1]).toMatchObject({ points: 2.5, deduction: 'x' })
  })
  it('knows when nothing was changed', () => {
    const stored = [item(), item({ id: 2, code: 'FM02' })]
    const drafts = stored.map(draftOf)
    expect(changed(drafts, stored)).toBe(false)
    expect(changed(moved(drafts, 0, 1), stored)).toBe(true)
  })
  it('puts each of the server\'s problems on the item it names, by index sent', () => {
    const sent = [draftOf(item()), draftOf(item({ code: 'FM01' }))]
    const p = problemsOf([
      { index: 1, field: 'code', message: '编号重复 duplicate code FM01' },
      { loc: ['body', 'items', 0, 'points'], msg: 'Input should be greater than 0', type: 'greater_than' },
      { loc: ['body', 'items'], msg: 'List should have at least 1 item', type: 'too_short' },
      { index: 7, field: 'code', message: 'gone' },
    ], sent)
    expect(p.byKey[sent[1].key]).toEqual([{ field: 'code', message: '编号重复 duplicate code FM01' }])
    expect(p.byKey[sent[0].key]).toEqual([{ field: 'points', message: 'Input should be greater than 0' }])
    expect(p.general).toEqual(['items: List should have at least 1 item', '#8 code: gone'])
  })
})

const settings = (over: Partial<NotifySettingsOut> = {}): NotifySettingsOut => ({
  digest_hour: 8, digest_hour_default: 8, near_deadline_hours: null, routes: { urged: ['sms', 'wecom'] },
  templates: { urged: '【{title}】{case_number}' }, placeholders: Object.fromEntries(MESSAGE_KINDS.map((k) => [k, ['title', 'case_number']])), ...over,
})

describe('the notification rules\' changes', () => {
  it('sends nothing when nothing changed', () => {
    const s = settings()
    const f = formOf(s)
    expect(f.routes.urged).toEqual(['wecom', 'sms'])
    expect(f.routes.dispatched).toEqual(CHANNEL_KINDS)
    expect(changesOf(s, f)).toEqual({})
  })
  it('takes the hour as a number input gives it', () => {
    const s = settings()
    const f = formOf(s)
    f.digest_hour = 7
    expect(changesOf(s, f)).toEqual({ digest_hour: 7 })
    f.digest_hour = 8
    expect(changesOf(s, f)).toEqual({})
  })
  it('sends only the fields changed; a route of every kind and an empty template go back to the default (null)', () => {
    const s = settings({ digest_hour: 9 })
    const f = formOf(s)
    f.digest_hour = ''
    f.near_deadline_hours = '24，72 24'
    f.routes.urged = CHANNEL_KINDS.slice()
    f.routes.overdue = []
    f.templates.urged = ''
    f.templates.rework = ' 返工 {case_number} '
    expect(changesOf(s, f)).toEqual({
      digest_hour: null, near_deadline_hours: [72, 24], routes: { urged: null, overdue: [] },
      templates: { urged: null, rework: '返工 {case_number}' },
    })
  })
  it('reads the reminder hours as the server keeps them, and clears them with an empty field', () => {
    expect(parseHours('24, 72')).toEqual([72, 24])
    expect(parseHours('24, soon')).toEqual([24, 'soon'])
    const s = settings({ near_deadline_hours: [72, 24] })
    const f = formOf(s)
    expect(f.near_deadline_hours).toBe('72, 24')
    f.near_deadline_hours = ''
    expect(changesOf(s, f)).toEqual({ near_deadline_hours: null })
  })
  it('previews a template with sample values and names the placeholders the kind does not offer', () => {
    expect(unknownPlaceholders('{title} {nope} {nope}', ['title'])).toEqual(['nope'])
    expect(preview('【{title}】{x}<b>', { title: '催办' })).toBe('【催办】<b>')
  })
})
