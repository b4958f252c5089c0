import { describe, expect, it } from 'vitest'
import { cameraTime, readExif, withExif } from '../src/lib/exif'

/** A big-endian EXIF APP1: IFD0 with Orientation and the Exif IFD pointer; the Exif IFD with DateTimeOriginal and,
 * if given, OffsetTimeOriginal. As a camera writes it (offsets from the TIFF header). */
function app1(orientation: number, taken: string, offset?: string): number[] {
  const t: number[] = []
  const u16 = (v: number) => t.push((v >> 8) & 255, v & 255)
  const u32 = (v: number) => { u16(v >>> 16); u16(v & 0xffff) }
  const entry = (tag: number, type: number, count: number, value: number, short = false) => {
    u16(tag); u16(type); u32(count)
    if (short) { u16(value); u16(0) } else u32(value)
  }
  const exifEntries = offset ? 2 : 1
  const ifd0 = 8
  const exifIfd = ifd0 + 2 + 2 * 12 + 4
  const strings = exifIfd + 2 + exifEntries * 12 + 4
  t.push(77, 77); u16(42); u32(ifd0)
  u16(2)
  entry(0x0112, 3, 1, orientation, true)
  entry(0x8769, 4, 1, exifIfd)
  u32(0)
  u16(exifEntries)
  entry(0x9003, 2, 20, strings)
  if (offset) entry(0x9011, 2, 7, strings + 20)
  u32(0)
  for (const s of [taken, ...(offset ? [offset] : [])]) t.push(...[...s].map((c) => c.charCodeAt(0)), 0)
  const payload = [...'Exif\0\0'].map((c) => c.charCodeAt(0)).concat(t)
  return [0xff, 0xe1, ((payload.length + 2) >> 8) & 255, (payload.length + 2) & 255, ...payload]
}

const jpeg = (...segments: number[][]) => new Uint8Array([0xff, 0xd8, ...segments.flat(), 0xff, 0xda, 0, 2, 0xff, 0xd9]).buffer

describe('the camera EXIF kept through downscaling', () => {
  it('reads when the photo was taken and sets the copy upright, the original untouched', () => {
    const bytes = jpeg([0xff, 0xe0, 0, 4, 1, 2], app1(6, '2026:12:07 17:30:05', '+08:00'))
    const exif = readExif(bytes)!
    expect(exif.takenAt).toBe('2026-12-07T09:30:05.000Z')
    const orientationAt = 10 + 8 + 2 + 8 // TIFF header, IFD0 count, the entry's tag/type/count
    expect(exif.segment[orientationAt + 1]).toBe(1)
    expect(new Uint8Array(bytes)[2 + 6 + orientationAt + 1]).toBe(6) // after the SOI and the APP0
    const out = new Uint8Array(withExif(jpeg(), exif.segment))
    expect([...out.subarray(0, 4)]).toEqual([0xff, 0xd8, 0xff, 0xe1])
    expect(readExif(out.buffer)!.takenAt).toBe('2026-12-07T09:30:05.000Z')
  })

  it('takes a time without offset in the phone zone, and refuses the implausible', () => {
    expect(readExif(jpeg(app1(1, '2026:11:21 09:00:00')))!.takenAt).toBe(new Date(2026, 10, 21, 9, 0, 0).toISOString())
    expect(cameraTime('1999:12:31 23:59:59', '+08:00')).toBeNull()
    expect(cameraTime('2999:01:01 00:00:00', '')).toBeNull()
    expect(cameraTime('0000:00:00 00:00:00', '')).toBeNull()
    expect(cameraTime('2026-12-07 17:30:05', '')).toBeNull()
  })

  it('gives nothing for what is not a JPEG with EXIF, and never throws on a broken one', () => {
    expect(readExif(new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer)).toBeNull()
    expect(readExif(jpeg([0xff, 0xe0, 0, 4, 1, 2]))).toBeNull()
    const broken = app1(1, '2026:11:21 09:00:00')
    broken[10] = 0x58 // not II/MM
    expect(readExif(jpeg(broken))).toBeNull()
    const cut = app1(1, '2026:11:21 09:00:00').slice(0, 30)
    expect(readExif(jpeg(cut))).toBeNull()
  })
})
