/**
 * Phone-side photo downscaling: long edge ≤ 2048 px, JPEG 0.8.
 * createImageBitmap(..., {imageOrientation: 'from-image'}) applies EXIF orientation once; we never
 * rotate again. The pixel count is also capped (iOS canvases fail above ~16.7 MP). The camera's EXIF (time, place)
 * is carried into the re-encoded JPEG, turned upright (lib/exif.ts).
 */
import { readExif, withExif } from './exif'

export const MAX_EDGE = 2048
export const JPEG_QUALITY = 0.8
const MAX_CANVAS_PIXELS = 16_000_000
const EXIF_WITHIN = 256 * 1024

/** A file this browser cannot decode that is not HEIC/HEIF either (which the server converts): a damaged file or
 * not a photo, which no server would take. Refused when picked: saved, it sat in 待上传 for ever, and throwing it
 * away threw the whole report with it. */
export class UnreadablePhoto extends Error {
  constructor() {
    super('unreadable_photo')
  }
}

/** HEIC/HEIF: an ISO-BMFF file, "ftyp" at byte 4 (the server reads it; most browsers cannot). */
async function isHeif(file: Blob) {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer())
  return head.length >= 12 && String.fromCharCode(head[4], head[5], head[6], head[7]) === 'ftyp'
}

export function targetSize(w, h, maxEdge = MAX_EDGE) {
  let scale = Math.min(1, maxEdge / Math.max(w, h))
  if (w * h * scale * scale > MAX_CANVAS_PIXELS) scale = Math.sqrt(MAX_CANVAS_PIXELS / (w * h))
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))]
}

/**
 * Returns {bytes: ArrayBuffer, type, width, height, originalSize, takenAt}. If the browser cannot decode a HEIC
 * file (a non-Apple browser) the original bytes are kept and the server converts them; any other file it cannot
 * decode throws UnreadablePhoto. takenAt: when the camera says the photo was taken (EXIF), else null.
 */
export async function downscalePhoto(file) {
  const originalSize = file.size
  // EXIF sits before the image data, within its first segments (APP1 ≤ 64 KB): a cheap phone reads that much, not
  // the whole photo, beside the decode.
  const exif = file.type === 'image/jpeg' || !file.type ? readExif(await file.slice(0, EXIF_WITHIN).arrayBuffer()) : null
  const takenAt = exif?.takenAt ?? null
  let bitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  } catch {
    if (!(await isHeif(file))) throw new UnreadablePhoto()
    return { bytes: await file.arrayBuffer(), type: file.type || 'application/octet-stream', width: null, height: null, originalSize, takenAt }
  }
  const [w, h] = targetSize(bitmap.width, bitmap.height)
  let blob
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(w, h)
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h)
    blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY })
  } else {
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h)
    blob = await new Promise((res) => canvas.toBlob(res, 'image/jpeg', JPEG_QUALITY))
  }
  // Keep the original when it is already a small JPEG that re-encoding would not shrink.
  const small = file.type === 'image/jpeg' && w === bitmap.width && h === bitmap.height
  if (!blob || (small && blob.size >= originalSize)) {
    bitmap.close?.()
    return { bytes: await file.arrayBuffer(), type: file.type || 'image/jpeg', width: w, height: h, originalSize, takenAt }
  }
  bitmap.close?.()
  const bytes = await blob.arrayBuffer()
  return { bytes: exif ? withExif(bytes, exif.segment) : bytes, type: 'image/jpeg', width: w, height: h, originalSize, takenAt }
}

export function formatBytes(n) {
  if (n == null) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}
