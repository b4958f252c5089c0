import 'fake-indexeddb/auto'
import { describe, it, expect, vi, afterEach } from 'vitest'
import {
  isNearDeadlineAt,
  isNearDeadline,
  exceptionRequest,
  decisionRequest,
  exceptionMarks,
  suggestedReviewAt,
  suggestedExtension,
  NEAR_DEADLINE_DEFAULT,
} from '../src/features/tickets/exceptions'
import { createOutbox, blockedBy } from '../src/features/outbox/outbox'
import { httpTransport } from '../src/features/outbox/transport'

const H = 3600000
const NOW = Date.parse('2026-05-10T12:00:00Z')
const iso = (ms) => new Date(ms).toISOString()
/** A ticket dispatched `givenH` hours before its deadline, with `leftH` hours left now. */
const tk = (givenH, leftH, extra = {}) => ({
  status: 'dispatched',
  dispatched_at: iso(NOW + leftH * H - givenH * H),
  deadline_at: iso(NOW + leftH * H),
  ...extra,
})

describe('预超期: the server rule (time left ≤ max(fraction × time given, min(hours, half the time given)))', () => {
  it('marks the last 25 % of a long deadline', () => {
    // 7 days given: 25 % = 42 h
    expect(isNearDeadlineAt(tk(168, 43), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(168, 42), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
    expect(isNearDeadlineAt(tk(168, 1), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
  })
  it('marks the last 4 hours of a short deadline (the hours win over 25 % of 8 h = 2 h)', () => {
    expect(isNearDeadlineAt(tk(8, 4.5), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(8, 4), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
    expect(isNearDeadlineAt(tk(8, 3), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
  })
  it('does not call a ticket given 4 hours or less nearly late the moment it is dispatched: from half its time', () => {
    expect(isNearDeadlineAt(tk(4, 4), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(4, 2.5), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(4, 2), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
    expect(isNearDeadlineAt(tk(2, 1.5), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(2, 1), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
  })
  it('follows the configured rule', () => {
    const rule = { fraction: 0.5, hours: 1 }
    expect(isNearDeadlineAt(tk(10, 5), rule, NOW)).toBe(true)
    expect(isNearDeadlineAt(tk(10, 5.5), rule, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(1, 1), { fraction: 0, hours: 0 }, NOW)).toBe(false)
  })
  it('is never overdue, rectified, suspended or without a deadline', () => {
    expect(isNearDeadlineAt(tk(24, -1), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(24, 0), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(24, 1, { status: 'rectified' }), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt(tk(24, 1, { status: 'suspended' }), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadlineAt({ status: 'dispatched', deadline_at: null }, NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
  })
  it('without dispatched_at only the hours count', () => {
    expect(isNearDeadlineAt({ status: 'dispatched', deadline_at: iso(NOW + 3 * H) }, NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
    expect(isNearDeadlineAt({ status: 'dispatched', deadline_at: iso(NOW + 30 * H) }, NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
  })
  it("takes the server's flag, but not once the deadline passed on the phone", () => {
    expect(isNearDeadline(tk(168, 100, { near_deadline: true }), NEAR_DEADLINE_DEFAULT, NOW)).toBe(true)
    expect(isNearDeadline(tk(168, -1, { near_deadline: true }), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
    expect(isNearDeadline(tk(168, 100, { near_deadline: true, status: 'suspended' }), NEAR_DEADLINE_DEFAULT, NOW)).toBe(false)
  })
})

describe('exception actions: endpoint and body', () => {
  const dl = '2026-06-01T02:00:00.000Z'
  it('申请延期 asks a deadline and a reason, photos optional', () => {
    expect(exceptionRequest('request_extension', { text: ' 雨季施工 ', deadline: dl, photoIds: ['p1'] })).toEqual({
      path: 'requests',
      body: { kind: 'extension', reason: '雨季施工', deadline: dl, photo_ids: ['p1'] },
    })
    expect(() => exceptionRequest('request_extension', { text: 'x' })).toThrow('deadline_required')
    expect(() => exceptionRequest('request_extension', { text: '  ', deadline: dl })).toThrow('reason_required')
  })
  it('申请回退 and 申请挂账 (review date optional)', () => {
    expect(exceptionRequest('request_return', { text: '非我单位权属' })).toEqual({ path: 'requests', body: { kind: 'return', reason: '非我单位权属', photo_ids: [] } })
    expect(exceptionRequest('request_suspension', { text: '需立项', reviewAt: dl }).body).toEqual({ kind: 'suspension', reason: '需立项', review_at: dl, photo_ids: [] })
    expect(exceptionRequest('request_suspension', { text: '需立项' }).body).not.toHaveProperty('review_at')
  })
  it('作废 needs a reason, 督办 a note, 催办 nothing; 恢复 a deadline only if given', () => {
    expect(exceptionRequest('void', { text: '重复' })).toEqual({ path: 'void', body: { reason: '重复' } })
    expect(() => exceptionRequest('void', { text: '' })).toThrow('reason_required')
    expect(() => exceptionRequest('supervise', { text: '' })).toThrow('note_required')
    expect(exceptionRequest('urge', {})).toEqual({ path: 'urge', body: { note: null } })
    expect(exceptionRequest('resume', { text: '' })).toEqual({ path: 'resume', body: { note: null } })
    expect(exceptionRequest('resume', { deadline: dl }).body.deadline).toBe(dl)
  })
  it('decisions: reject needs a note; suspension approval a review date; return with a unit re-dispatches', () => {
    const ext = { id: 'r1', kind: 'extension' }
    expect(decisionRequest(ext, { approve: true })).toEqual({ path: 'requests/r1/decision', body: { approve: true, note: null } })
    expect(decisionRequest(ext, { approve: true, deadline: dl }).body.deadline).toBe(dl)
    expect(() => decisionRequest(ext, { approve: false, note: ' ' })).toThrow('note_required')
    expect(decisionRequest(ext, { approve: false, note: '理由不足', deadline: dl }).body).toEqual({ approve: false, note: '理由不足' })
    expect(() => decisionRequest({ id: 'r2', kind: 'suspension' }, { approve: true })).toThrow('review_at_required')
    expect(decisionRequest({ id: 'r2', kind: 'suspension' }, { approve: true, reviewAt: dl }).body.review_at).toBe(dl)
    expect(decisionRequest({ id: 'r3', kind: 'return' }, { approve: true }).body).toEqual({ approve: true, note: null })
    expect(decisionRequest({ id: 'r3', kind: 'return' }, { approve: true, unitId: 7 }).body).toEqual({ approve: true, note: null, unit_id: 7 })
  })
  it('suggests the proposed review date while ahead, else 30 days', () => {
    expect(suggestedReviewAt({ requested_deadline: iso(NOW + 5 * 24 * H) }, NOW)).toBe(iso(NOW + 5 * 24 * H))
    expect(suggestedReviewAt({ requested_deadline: iso(NOW - H) }, NOW)).toBe(iso(NOW + 30 * 24 * H))
    expect(suggestedReviewAt({}, NOW)).toBe(iso(NOW + 30 * 24 * H))
  })
  it('starts the extension picker a day past the deadline, or past now when overdue, on the hour', () => {
    expect(suggestedExtension(iso(NOW + 2 * H + 60000), NOW)).toBe(iso(NOW + 27 * H))
    expect(suggestedExtension(iso(NOW - 5 * H), NOW)).toBe(iso(NOW + 24 * H))
    expect(suggestedExtension(null, NOW)).toBe(iso(NOW + 24 * H))
  })
  it('marks a card: 督办, 催办 ×N, 待审批, 预超期', () => {
    const marks = exceptionMarks(tk(24, 2, { supervised: true, urge_count: 2, pending_request: 'extension' }), NEAR_DEADLINE_DEFAULT, NOW)
    expect(marks).toEqual([{ key: 'supervised' }, { key: 'urged', n: 2 }, { key: 'pending', kind: 'extension' }, { key: 'near' }])
    expect(exceptionMarks(tk(24, 20), NEAR_DEADLINE_DEFAULT, NOW)).toEqual([])
    expect(exceptionMarks(tk(24, 2, { status: 'closed', supervised: true, urge_count: 3 }), NEAR_DEADLINE_DEFAULT, NOW)).toEqual([])
  })
})

describe('exception actions in the outbox', () => {
  afterEach(() => vi.unstubAllGlobals())

  function memoryStorage() {
    const m = new Map()
    return {
      m,
      list: async () => [...m.values()].map((x) => structuredClone(x)),
      get: async (id) => structuredClone(m.get(id)),
      put: async (it) => void m.set(it.id, structuredClone(it)),
      putMany: async (items) => items.forEach((it) => m.set(it.id, structuredClone(it))),
      ack: async (it) => void m.delete(it.id),
    }
  }

  it('posts a request to /api/tickets/{id}/requests and a decision to …/requests/{rid}/decision, bodies unchanged', async () => {
    const calls = []
    vi.stubGlobal('fetch', vi.fn(async (url, init) => {
      calls.push({ url, body: JSON.parse(init.body) })
      return new Response(JSON.stringify({ id: 't1' }), { status: 200, headers: { 'content-type': 'application/json' } })
    }))
    const req = exceptionRequest('request_extension', { text: '下雨', deadline: '2026-06-01T00:00:00.000Z' })
    const r1 = await httpTransport.send({ id: 'a1', kind: 'action', action: req.path, ticketId: 't1', photoIds: [], body: { ...req.body, action_id: 'a1' } }, {})
    const dec = decisionRequest({ id: 'a1', kind: 'extension' }, { approve: true })
    const r2 = await httpTransport.send({ id: 'a2', kind: 'action', action: dec.path, ticketId: 't1', photoIds: [], body: { ...dec.body, action_id: 'a2' } }, {})
    expect([r1.status, r2.status]).toEqual([200, 200])
    expect(calls.map((c) => c.url)).toEqual(['/api/tickets/t1/requests', '/api/tickets/t1/requests/a1/decision'])
    expect(calls[0].body).toEqual({ kind: 'extension', reason: '下雨', deadline: '2026-06-01T00:00:00.000Z', photo_ids: [], action_id: 'a1' })
    expect(calls[1].body).toEqual({ approve: true, note: null, action_id: 'a2' })
  })

  it('an offline extension request waits for its photo, is kept until acknowledged, and replays with the same action_id', async () => {
    const storage = memoryStorage()
    const sent = []
    let online = false
    const transport = {
      ping: async () => online,
      async send(item) {
        sent.push({ id: item.id, action: item.action, actionId: item.body?.action_id })
        return { status: 200, data: {} }
      },
    }
    const ob = createOutbox({ storage, transport, setTimer: () => null, clearTimer: () => {} })
    const req = exceptionRequest('request_extension', { text: '材料未到', deadline: '2026-06-01T00:00:00.000Z', photoIds: ['ph1'] })
    await ob.enqueue([
      { id: 'ph1', kind: 'photo', meta: {} },
      { id: 'act1', kind: 'action', action: req.path, ticketId: 't1', photoIds: ['ph1'], body: { ...req.body, action_id: 'act1' } },
    ])
    expect(blockedBy(await ob.list()).get('act1')).toBe('ph1')
    await ob.drain()
    expect(sent).toEqual([]) // offline: nothing sent, nothing dropped
    expect((await ob.list()).map((i) => i.id)).toEqual(['ph1', 'act1'])
    online = true
    await ob.drain()
    expect(sent).toEqual([{ id: 'ph1', action: undefined, actionId: undefined }, { id: 'act1', action: 'requests', actionId: 'act1' }])
    expect(await ob.list()).toEqual([])
  })
})
