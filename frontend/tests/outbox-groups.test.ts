import { describe, it, expect } from 'vitest'
import { groupItems } from '../src/features/outbox/groups'

const photo = (id) => ({ id, kind: 'photo' })

describe('groupItems', () => {
  it('shows one report with its photos inside, in queue order', () => {
    const items = [photo('p1'), photo('p2'), { id: 't1', kind: 'ticket', photoIds: ['p1', 'p2'] }, photo('p3'), { id: 'a1', kind: 'action', photoIds: ['p3'] }]
    const g = groupItems(items)
    expect(g.map((x) => x.id)).toEqual(['t1', 'a1'])
    expect(g[0].photos.map((p) => p.id)).toEqual(['p1', 'p2'])
    expect([g[0].photosDone, g[0].photosTotal]).toEqual([0, 2])
  })
  it('counts photos already sent (no longer queued) as done', () => {
    const g = groupItems([photo('p2'), { id: 't1', kind: 'ticket', photoIds: ['p1', 'p2'] }])
    expect([g[0].photosDone, g[0].photosTotal]).toEqual([1, 2])
  })
  it('keeps an orphan photo visible', () => {
    const g = groupItems([photo('p9')])
    expect(g).toHaveLength(1)
    expect(g[0].main.id).toBe('p9')
  })
})
