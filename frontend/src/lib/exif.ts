/**
 * A phone photo's EXIF, kept through the app's downscaling (lib/image.ts): the canvas re-encode drops it, and with
 * it what the camera recorded — when and where the photo was taken (the server's taken_at and EXIF position, the
 * watermark's 拍摄 time). The APP1 segment is copied whole into the new JPEG with its orientation set to 1, the
 * pixels having been turned upright already (createImageBitmap's imageOrientation: 'from-image').
 */

export type CameraExif = {
  /** the APP1 segment (marker, length, payload) to put into the re-encoded JPEG */
  segment: Uint8Array
  /** DateTimeOriginal as an ISO time (its OffsetTimeOriginal, else the phone's zone), when plausible */
  takenAt: string | null
}

const ORIENTATION = 0x0112
const EXIF_IFD = 0x8769
const DATE_TIME_ORIGINAL = 0x9003
const OFFSET_TIME_ORIGINAL = 0x9011

/** The EXIF of a JPEG's bytes, or null (not a JPEG, no EXIF, or EXIF that does not parse). */
export function readExif(bytes: ArrayBuffer): CameraExif | null {
  const data = new Uint8Array(bytes)
  if (data[0] !== 0xff || data[1] !== 0xd8) return null
  let at = 2
  while (at + 4 <= data.length && data[at] === 0xff) {
    const marker = data[at + 1]
    if (marker === 0xda || marker === 0xd9) return null // the image data begins: no EXIF before it
    const length = (data[at + 2] << 8) | data[at + 3]
    if (length < 2 || at + 2 + length > data.length) return null
    if (marker === 0xe1 && length >= 16 && ascii(data, at + 4, 6) === 'Exif\0\0') {
      const segment = data.slice(at, at + 2 + length)
      try {
        return { segment, takenAt: uprightAndTime(segment) }
      } catch {
        return null // a broken EXIF costs the metadata, not the photo (as on the server)
      }
    }
    at += 2 + length
  }
  return null
}

/** `jpeg` with `segment` put right after its start-of-image marker. */
export function withExif(jpeg: ArrayBuffer, segment: Uint8Array): ArrayBuffer {
  const data = new Uint8Array(jpeg)
  if (data[0] !== 0xff || data[1] !== 0xd8) return jpeg
  const out = new Uint8Array(data.length + segment.length)
  out.set(data.subarray(0, 2), 0)
  out.set(segment, 2)
  out.set(data.subarray(2), 2 + segment.length)
  return out.buffer
}

/** Sets the segment's orientation to 1 (in place) and answers its DateTimeOriginal, if any. */
function uprightAndTime(segment: Uint8Array): string | null {
  const tiff = 10 // marker (2) + length (2) + "Exif\0\0" (6)
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength)
  const order = ascii(segment, tiff, 2)
  if (order !== 'II' && order !== 'MM') throw new Error('no TIFF header')
  const le = order === 'II'
  const u16 = (o: number) => view.getUint16(tiff + o, le)
  const u32 = (o: number) => view.getUint32(tiff + o, le)
  if (u16(2) !== 42) throw new Error('no TIFF header')

  function entries(ifd: number): Map<number, number> {
    const found = new Map<number, number>() // tag → offset of its entry (from the TIFF header)
    const count = u16(ifd)
    for (let i = 0; i < count; i++) found.set(u16(ifd + 2 + i * 12), ifd + 2 + i * 12)
    return found
  }
  function text(entry: number): string {
    const count = u32(entry + 4)
    const start = count <= 4 ? entry + 8 : u32(entry + 8)
    return ascii(segment, tiff + start, count).replace(/\0.*$/, '').trim()
  }

  const ifd0 = entries(u32(4))
  const orientation = ifd0.get(ORIENTATION)
  if (orientation !== undefined) view.setUint16(tiff + orientation + 8, 1, le)
  const pointer = ifd0.get(EXIF_IFD)
  if (pointer === undefined) return null
  const exif = entries(u32(pointer + 8))
  const original = exif.get(DATE_TIME_ORIGINAL)
  if (original === undefined) return null
  const offset = exif.get(OFFSET_TIME_ORIGINAL)
  return cameraTime(text(original), offset === undefined ? '' : text(offset))
}

/** "2026:12:07 17:30:05" (+ "+08:00") as an ISO time, or null when malformed or implausible (the server's bounds:
 * not before 2000, not after tomorrow). Without an offset: the phone's own zone, as its camera wrote it. */
export function cameraTime(value: string, offset: string): string | null {
  const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value)
  if (!m) return null
  const [, y, mo, d, h, mi, s] = m
  const zone = /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : ''
  const when = zone ? new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`) : new Date(+y, +mo - 1, +d, +h, +mi, +s)
  const t = when.getTime()
  if (Number.isNaN(t) || t < Date.UTC(2000, 0, 1) || t > Date.now() + 86_400_000) return null
  return when.toISOString()
}

function ascii(data: Uint8Array, start: number, length: number): string {
  if (start < 0 || start + length > data.length) throw new Error('out of the segment')
  return String.fromCharCode(...data.subarray(start, start + length))
}
