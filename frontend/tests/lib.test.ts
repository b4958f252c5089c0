import { describe, it, expect } from 'vitest'
import { wgs84ToGcj02, gcj02ToWgs84, outOfChina, toDisplay } from '../src/lib/geo'
import { targetSize } from '../src/lib/image'
import { toCityLocalInput as toShanghaiLocalInput, fromCityLocalInput as fromShanghaiLocalInput, formatDateTime, setCityTimeZone } from '../src/lib/time'
// The city's zone comes from GET /api/config; these tests use the demo city's.
setCityTimeZone({ name: 'Asia/Shanghai', utc_offset_minutes: 480 })

describe('WGS-84 → GCJ-02 (display only)', () => {
  it('shifts points in China by a few hundred metres, as the published algorithm does', () => {
    // Reference value for Beijing Tiananmen from the common eviltransform implementation.
    const [lat, lng] = wgs84ToGcj02(39.90734, 116.39089)
    expect(lat).toBeCloseTo(39.90874, 4)
    expect(lng).toBeCloseTo(116.39713, 4)
  })
  it('round-trips within a centimetre', () => {
    const [gLat, gLng] = wgs84ToGcj02(30.2741, 120.1551)
    const [wLat, wLng] = gcj02ToWgs84(gLat, gLng)
    expect(Math.abs(wLat - 30.2741)).toBeLessThan(1e-7)
    expect(Math.abs(wLng - 120.1551)).toBeLessThan(1e-7)
  })
  it('leaves points outside China and wgs84 maps alone', () => {
    expect(outOfChina(51.5, -0.12)).toBe(true)
    expect(wgs84ToGcj02(51.5, -0.12)).toEqual([51.5, -0.12])
    expect(toDisplay(30.2741, 120.1551, 'wgs84')).toEqual([30.2741, 120.1551])
  })
})

describe('photo target size', () => {
  it('caps the long edge at 2048 and keeps the aspect ratio', () => {
    expect(targetSize(4000, 3000)).toEqual([2048, 1536])
    expect(targetSize(3000, 4000)).toEqual([1536, 2048])
    expect(targetSize(1200, 900)).toEqual([1200, 900])
  })
})

describe('Asia/Shanghai display', () => {
  it('formats UTC instants in Shanghai time and round-trips datetime-local values', () => {
    expect(formatDateTime('2026-11-21T16:30:00Z')).toBe('2026/11/22 00:30')
    expect(toShanghaiLocalInput('2026-11-21T16:30:00Z')).toBe('2026-11-22T00:30')
    expect(fromShanghaiLocalInput('2026-11-22T00:30')).toBe('2026-11-21T16:30:00.000Z')
  })
})

import { periodLabel } from '../src/features/stats/period'
import { navigationLinks, distanceM, wgs84ToGcj02 } from '../src/lib/geo'

describe('periodLabel', () => {
  const week = { kind: 'week', start_date: '2026-03-16', end_date: '2026-03-22', label: '2026年第12周 (03-16 ~ 03-22)' }
  it('keeps the Chinese label in Chinese and speaks English in English', () => {
    expect(periodLabel(week, 'zh-CN')).toBe(week.label)
    expect(periodLabel(week, 'en')).toBe('Week 12, 2026 (03-16 ~ 03-22)')
    expect(periodLabel({ kind: 'week', start_date: '2026-12-28', end_date: '2027-01-03' }, 'en')).toMatch(/^Week 53, 2026/)
    expect(periodLabel({ kind: 'month', start_date: '2026-03-01', end_date: '2026-03-31', label: '2026年03月' }, 'en')).toBe('March 2026')
  })
})

describe('navigationLinks', () => {
  it('gives 高德 GCJ-02 and 百度 WGS-84 with its coord_type', () => {
    const [gLat, gLng] = wgs84ToGcj02(30.2741, 120.1551)
    const l = navigationLinks(30.2741, 120.1551, '示例路')
    expect(l.amap).toContain(`position=${gLng.toFixed(6)},${gLat.toFixed(6)}`)
    expect(l.amap).toContain('coordinate=gaode')
    expect(l.baidu).toContain('location=30.274100,120.155100')
    expect(l.baidu).toContain('coord_type=wgs84')
    expect(l.apple).toContain(`ll=${gLat.toFixed(6)},${gLng.toFixed(6)}`)
    expect(distanceM(30.2741, 120.1551, 30.2841, 120.1551)).toBeCloseTo(1112, -1)
  })
})

import { humanDuration } from '../src/lib/time'

describe('humanDuration', () => {
  const t = (key: string, v: Record<string, unknown> = {}) => `${key}:${JSON.stringify(v)}`
  it('says "under a minute" rather than 0 minutes (超期 0分钟 read as nothing late)', () => {
    expect(humanDuration(0, t)).toBe('time.underMinute:{}')
    expect(humanDuration(-59_999, t)).toBe('time.underMinute:{}')
    expect(humanDuration(60_000, t)).toBe('time.m:{"m":1}')
    expect(humanDuration(3_600_000 + 120_000, t)).toBe('time.hm:{"h":1,"m":2}')
  })
  it('gives whole hours for the wall screen, and the same days and minutes as everywhere else', () => {
    const opts = { hoursOnly: true }
    expect(humanDuration(3 * 3_600_000 + 720_000, t, opts)).toBe('time.h:{"h":3}')
    expect(humanDuration(2 * 86_400_000 + 4 * 3_600_000, t, opts)).toBe('time.dh:{"d":2,"h":4}')
    expect(humanDuration(5 * 60_000, t, opts)).toBe('time.m:{"m":5}')
    expect(humanDuration(30_000, t, opts)).toBe('time.underMinute:{}')
  })
})

import { limitText, defaultLimits } from '../src/features/tickets/defaultLimit'
import { setCityTimeZone as setZone } from '../src/lib/time'

describe('what an empty deadline gives', () => {
  setZone({ name: 'Asia/Shanghai', utc_offset_minutes: 480 })
  const t = (key: string, v: Record<string, unknown> = {}) => `${key}:${JSON.stringify(v)}`
  const rule = { clockHoursUpTo: 24, workingDayHours: 8 }
  const now = Date.parse('2026-12-07T21:09:00Z') // 05:09 on the 8th in the city
  it('a limit up to 24 h ends on the clock', () => {
    expect(limitText(t, 4, rule, now, 'zh-CN')).toBe('limit.clock:{"h":4,"at":"12/08 09:09"}')
    expect(limitText(t, 24, rule, now, 'zh-CN')).toBe('limit.clock:{"h":24,"at":"12/09 05:09"}')
  })
  it('a longer one is working days of 8 hours', () => {
    expect(limitText(t, 25, rule, now, 'zh-CN')).toBe('limit.workdays:{"d":4}')
    expect(limitText(t, 160, rule, now, 'zh-CN')).toBe('limit.workdays:{"d":20}')
  })
  it('says each category once, in the order of the tickets', () => {
    const a = { code: '06005', name_zh: '暴露垃圾', name_en: 'Exposed rubbish', default_deadline_hours: 4 }
    const b = { code: '06001', name_zh: '私搭乱建', name_en: 'Illegal shacks', default_deadline_hours: 160 }
    expect(defaultLimits(t, [a, b, a, undefined], rule, now, 'en')).toEqual([
      'Exposed rubbish: limit.clock:{"h":4,"at":"12/08, 09:09"}', 'Illegal shacks: limit.workdays:{"d":20}'])
  })
})
