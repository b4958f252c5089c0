import { describe, it, expect, beforeEach } from 'vitest'
import { setCityTimeZone } from '../src/lib/time'
import { emptyFilters, toQuery, cityDay, loadSaved, saveFilter, deleteFilter, toggleRows } from '../src/features/workbench/filters'

describe('workbench filters', () => {
  beforeEach(() => {
    localStorage.clear()
    setCityTimeZone({ name: 'Asia/Shanghai', utc_offset_minutes: 480 })
  })

  it('turns filters into the list query', () => {
    const q = toQuery({ ...emptyFilters(), grid: 3, deadline: '24', from: '2026-03-01', to: '2026-03-02', q: ' XC-2026 ' })
    expect(q).toMatchObject({ status: 'reported', grid_id: 3, due_within_hours: 24, overdue: null, q: 'XC-2026', sort: '-reported_at' })
    expect(q.reported_after).toBe('2026-02-28T16:00:00.000Z')
    expect(q.reported_before).toBe('2026-03-02T16:00:00.000Z')
    expect(toQuery({ ...emptyFilters(), deadline: 'overdue' })).toMatchObject({ overdue: true, due_within_hours: null })
    expect(cityDay('2026-01-01')).toBe('2025-12-31T16:00:00.000Z')
  })

  it('keeps saved filters per user', () => {
    saveFilter(1, '网格一', { ...emptyFilters(), grid: 1 })
    saveFilter(1, '网格一', { ...emptyFilters(), grid: 2 })
    saveFilter(2, '其他', emptyFilters())
    expect(loadSaved(1)).toEqual([{ name: '网格一', filters: { ...emptyFilters(), grid: 2 } }])
    expect(loadSaved(2).map((s) => s.name)).toEqual(['其他'])
    expect(deleteFilter(1, '网格一')).toEqual([])
    localStorage.setItem('xuncha.workbench.filters.3', '{broken')
    expect(loadSaved(3)).toEqual([])
  })

  it('selects a range with shift', () => {
    const ids = ['a', 'b', 'c', 'd', 'e']
    let s = toggleRows(new Set(), ids, 1, null, false)
    expect([...s]).toEqual(['b'])
    s = toggleRows(s, ids, 3, 1, true)
    expect([...s].sort()).toEqual(['b', 'c', 'd'])
    s = toggleRows(s, ids, 2, 3, false)
    expect([...s].sort()).toEqual(['b', 'd'])
  })
})
