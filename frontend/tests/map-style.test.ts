import { describe, it, expect } from 'vitest'
import { STATUS_COLORS, OVERDUE_COLOR, overdueMarkerStyle } from '../src/features/tickets/meta'

describe('the dashboard map: overdue points in a red of their own', () => {
  it('an overdue point is red and ranks above the others (its cluster turns red)', () => {
    const s = overdueMarkerStyle({ status: 'dispatched', overdue: true })
    expect(s.color).toBe(OVERDUE_COLOR)
    expect(s.rank).toBeGreaterThan(overdueMarkerStyle({ status: 'dispatched', overdue: false }).rank)
  })
  it('any other point keeps its status colour (the map page\'s) and a plain cluster', () => {
    for (const status of ['reported', 'dispatched', 'rectified', 'suspended'] as const) {
      expect(overdueMarkerStyle({ status })).toEqual({ color: STATUS_COLORS[status], rank: 0, plainCluster: true })
    }
  })
  it('the red is no status\'s colour', () => {
    expect(Object.values(STATUS_COLORS)).not.toContain(OVERDUE_COLOR)
  })
})
