import { describe, it, expect } from 'vitest'
import { wgs84ToGcj02, gcj02ToWgs84, outOfChina, toDisplay } from '../src/lib/geo.js'
import { targetSize } from '../src/lib/image.js'
import { toShanghaiLocalInput, fromShanghaiLocalInput, formatDateTime } from '../src/lib/time.js'

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
