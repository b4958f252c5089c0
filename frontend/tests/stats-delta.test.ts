import { describe, it, expect } from 'vitest'
import { delta, pct, rateDigits } from '../src/features/stats/period'

describe('环比 (change on the previous period)', () => {
  it('gives counts as differences', () => {
    expect(delta(12, 5)).toMatchObject({ dir: 1, arrow: '↑', value: 7, text: '7' })
    expect(delta(0, 1)).toMatchObject({ dir: -1, arrow: '↓', value: -1, text: '1' })
    expect(delta(3, 3)).toMatchObject({ dir: 0, value: 0 })
  })
  it('gives rates in percentage points, not percent of percent', () => {
    // 结案率 6/8 against 2/2: −25 percentage points
    expect(delta(0.75, 1, 'rate')).toMatchObject({ dir: -1, value: -25, text: '25.0' })
    expect(delta(7 / 9, 2 / 3, 'rate')).toMatchObject({ dir: 1, value: 11.1, text: '11.1' })
  })
  it('gives 返工率 and its change to two decimals, as the printout does', () => {
    expect(rateDigits('rework_rate')).toBe(2)
    expect(rateDigits('closure_rate')).toBe(1)
    expect(pct(1 / 15, rateDigits('rework_rate'))).toBe('6.67%')
    expect(delta(1 / 15, 0, 'rate', 2)).toMatchObject({ dir: 1, value: 6.67, text: '6.67' })
    expect(delta(1 / 15, 1 / 16, 'rate', 2)).toMatchObject({ dir: 1, value: 0.42, text: '0.42' })
    expect(delta(1 / 15, 0, 'rate')).toMatchObject({ value: 6.7, text: '6.7' })
  })
  it('says nothing when a side is missing', () => {
    expect(delta(0.5, null, 'rate')).toBeNull()
    expect(delta(undefined, 3)).toBeNull()
  })
})

// The same table the backend's printout and Excel are checked against (tests/stats/test_rounding.py): every
// figure rounds half away from zero on its decimal value, as counted by hand.
import cases from '../../tests/fixtures/rounding_cases.json'

describe('rounding as by hand (四舍五入)', () => {
  it.each(cases.rates)('shows $num/$den as $text', ({ num, den, digits, text }) => {
    expect(pct(num / den, digits)).toBe(text)
  })
  it.each(cases.deltas)('gives the change from $prev to $cur as $text', ({ cur, prev, points }) => {
    const d = delta(cur[0] / cur[1], prev[0] / prev[1], 'rate')
    expect(d?.value).toBe(points)
    expect(d?.dir).toBe(Math.sign(points))
  })
})
