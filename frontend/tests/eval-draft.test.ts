// The phone's evaluation draft: progress, the next open item, deductions and the ResultIn it becomes.
import { describe, it, expect } from 'vitest'
import { newDraft, blankAnswer, progress, nextOpen, lossTenths, itemProblem, buildResult, siteState, draftKey } from '../src/features/evaluation/draft'

const item = (code, over = {}) => ({
  id: 0, code, position: 0, text_zh: `项目 ${code}`, text_en: '', dimension: '环境卫生', points: 5, points_tenths: 50,
  rule: 'per_occurrence', deduction: 2, deduction_tenths: 20, photos_required: 1, category_code: '06005', ...over,
})
const ITEMS = [
  item('A1'),                                                    // 5 pts, −2 per occurrence
  item('A2', { rule: 'all_or_nothing', deduction: 10, deduction_tenths: 100, points: 10, points_tenths: 100, photos_required: 2 }),
  item('A3', { photos_required: 0, points: 2.5, points_tenths: 25, deduction: 1, deduction_tenths: 10 }),
]
const fresh = () => newDraft({ roundId: 3, siteId: 7, checklistId: 11, resultId: 'r-1', now: '2026-12-04T08:00:00Z' })
const ans = (verdict, over = {}) => ({ ...blankAnswer(), verdict, ...over })
const photo = (id) => ({ id, meta: { captured_at: '2026-12-04T08:01:00Z' } })

describe('progress and the next open item', () => {
  it('counts an item done only when answered, a failure with its occurrences and photos', () => {
    const d = fresh()
    expect(progress(ITEMS, d)).toEqual({ done: 0, total: 3, complete: false, lostTenths: 0 })
    d.answers.A1 = ans('fail', { occurrences: 2 }) // no photo yet
    d.answers.A3 = ans('na')
    expect(itemProblem(ITEMS[0], d.answers.A1)).toBe('photos')
    expect(progress(ITEMS, d).done).toBe(1)
    expect(nextOpen(ITEMS, d)).toBe(0)
    expect(nextOpen(ITEMS, d, 0)).toBe(1) // after A1 comes A2 (unanswered)
    d.answers.A1.photos = [photo('p1')]
    d.answers.A2 = ans('fail', { photos: [photo('p2')] })
    expect(itemProblem(ITEMS[1], d.answers.A2)).toBe('photos') // needs 2
    d.answers.A2.photos.push(photo('p3'))
    expect(progress(ITEMS, d)).toEqual({ done: 3, total: 3, complete: true, lostTenths: 40 + 100 })
    expect(nextOpen(ITEMS, d, 1)).toBe(-1)
  })

  it('wraps round to the first open item', () => {
    const d = fresh()
    d.answers.A2 = ans('pass')
    d.answers.A3 = ans('pass')
    expect(nextOpen(ITEMS, d, 2)).toBe(0)
  })

  it('a whole site 无法调查 is complete only with a reason', () => {
    const d = fresh()
    d.status = 'unable'
    expect(progress(ITEMS, d).complete).toBe(false)
    d.unableReason = '  市场装修闭店 '
    expect(progress(ITEMS, d).complete).toBe(true)
  })
})

describe('deductions (tenths)', () => {
  it('per occurrence, capped at the points; all or nothing; nothing for pass or na', () => {
    expect(lossTenths(ITEMS[0], ans('fail', { occurrences: 1 }))).toBe(20)
    expect(lossTenths(ITEMS[0], ans('fail', { occurrences: 2 }))).toBe(40)
    expect(lossTenths(ITEMS[0], ans('fail', { occurrences: 7 }))).toBe(50) // capped at 5 points
    expect(lossTenths(ITEMS[1], ans('fail', { occurrences: 3 }))).toBe(100)
    expect(lossTenths(ITEMS[0], ans('pass'))).toBe(0)
    expect(lossTenths(ITEMS[0], ans('na'))).toBe(0)
    expect(lossTenths(ITEMS[0], undefined)).toBe(0)
  })
})

describe('buildResult', () => {
  it('refuses an incomplete draft', () => {
    expect(() => buildResult(ITEMS, fresh(), null)).toThrow('incomplete')
  })

  it('builds the ResultIn: failures with occurrences and photos, notes trimmed, unused photos named', () => {
    const d = fresh()
    d.answers.A1 = ans('fail', { occurrences: 3, note: ' 站牌有小广告 ', photos: [photo('p1')] })
    d.answers.A2 = ans('fail', { occurrences: 5, photos: [photo('p2'), photo('p3')] })
    d.answers.A3 = ans('pass', { photos: [photo('p4')] }) // taken while it was 不达标, then changed
    const { body, photos, unusedPhotoIds } = buildResult(ITEMS, d, { lat: 30.1, lng: 120.2, accuracy: 8.44 })
    expect(body).toEqual({
      id: 'r-1', status: 'evaluated', unable_reason: null, lat: 30.1, lng: 120.2, accuracy_m: 8.4,
      answers: [
        { item_code: 'A1', verdict: 'fail', occurrences: 3, note: '站牌有小广告', photo_ids: ['p1'] },
        { item_code: 'A2', verdict: 'fail', occurrences: 1, photo_ids: ['p2', 'p3'] }, // all or nothing: once
        { item_code: 'A3', verdict: 'pass' },
      ],
    })
    expect(photos.map((p) => p.id)).toEqual(['p1', 'p2', 'p3'])
    expect(unusedPhotoIds).toEqual(['p4'])
  })

  it('an item 无法调查 is done only with a reason, loses nothing and goes with its reason and no photos', () => {
    const d = fresh()
    d.answers.A1 = ans('unable', { photos: [photo('p1')] }) // photo taken while it was 不达标, then changed
    d.answers.A2 = ans('fail', { photos: [photo('p2'), photo('p3')] })
    d.answers.A3 = ans('pass')
    expect(itemProblem(ITEMS[0], d.answers.A1)).toBe('reason')
    expect(progress(ITEMS, d)).toEqual({ done: 2, total: 3, complete: false, lostTenths: 100 })
    expect(nextOpen(ITEMS, d, 2)).toBe(0)
    d.answers.A1.note = '   '
    expect(itemProblem(ITEMS[0], d.answers.A1)).toBe('reason')
    expect(() => buildResult(ITEMS, d, null)).toThrow('incomplete')
    d.answers.A1.note = ' 配电房上锁 '
    expect(itemProblem(ITEMS[0], d.answers.A1)).toBe(null)
    expect(lossTenths(ITEMS[0], d.answers.A1)).toBe(0)
    expect(progress(ITEMS, d)).toEqual({ done: 3, total: 3, complete: true, lostTenths: 100 })
    const { body, photos, unusedPhotoIds } = buildResult(ITEMS, d, null)
    expect(body.answers).toEqual([
      { item_code: 'A1', verdict: 'unable', note: '配电房上锁' },
      { item_code: 'A2', verdict: 'fail', occurrences: 1, photo_ids: ['p2', 'p3'] },
      { item_code: 'A3', verdict: 'pass' },
    ])
    expect(photos.map((p) => p.id)).toEqual(['p2', 'p3'])
    expect(unusedPhotoIds).toEqual(['p1'])
  })

  it('a site 无法调查 carries its reason and no answers', () => {
    const d = fresh()
    d.answers.A1 = ans('fail', { photos: [photo('p1')] })
    d.status = 'unable'
    d.unableReason = ' 拒绝进入 '
    const { body, photos, unusedPhotoIds } = buildResult(ITEMS, d, null)
    expect(body).toEqual({ id: 'r-1', status: 'unable', unable_reason: '拒绝进入', lat: null, lng: null, accuracy_m: null, answers: [] })
    expect(photos).toEqual([])
    expect(unusedPhotoIds).toEqual(['p1'])
  })
})

describe('siteState', () => {
  it('new → draft → queued → submitted', () => {
    const d = fresh()
    expect(siteState({ result_id: null }, null, new Set())).toBe('new')
    expect(siteState({ result_id: null }, d, new Set())).toBe('new')
    d.answers.A1 = ans('pass')
    expect(siteState({ result_id: null }, d, new Set())).toBe('draft')
    d.queuedAt = '2026-12-04T08:10:00Z'
    expect(siteState({ result_id: null }, d, new Set(['r-1']))).toBe('queued')
    expect(siteState({ result_id: null }, d, new Set())).toBe('submitted') // the outbox delivered it
    expect(siteState({ result_id: 'r-1' }, null, new Set())).toBe('submitted')
    expect(draftKey('inspector', 3, 7)).toBe('eval:inspector:3:7')
  })
})

describe('the outbox holds a site evaluation until its photos are sent', () => {
  it('blocks the evalResult item on each of its queued photos, and only on them', async () => {
    const { blockedBy } = await import('../src/features/outbox/outbox')
    const items = [
      { id: 'p1', kind: 'photo', photoIds: [], ticketId: null },
      { id: 'p2', kind: 'photo', photoIds: [], ticketId: null },
      { id: 'r-1', kind: 'evalResult', photoIds: ['p1', 'p2'], ticketId: null },
    ]
    expect(blockedBy(items).get('r-1')).toBe('p1')
    expect(blockedBy(items.slice(1)).get('r-1')).toBe('p2')
    expect(blockedBy(items.slice(2)).has('r-1')).toBe(false)
  })
})

describe('reopened', () => {
  it('makes a queued draft editable again, keeping its answers and id', async () => {
    const { reopened } = await import('../src/features/evaluation/draft')
    const d = { ...fresh(), queuedAt: '2026-12-04T08:10:00Z', answers: { A1: ans('pass') } }
    expect(reopened(d)).toEqual({ ...d, queuedAt: null })
    expect(reopened(fresh())).toBe(null)
    expect(reopened(null)).toBe(null)
  })
})
