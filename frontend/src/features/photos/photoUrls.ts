/**
 * Photos are behind the bearer header, so <img src> cannot load them directly: fetch with the header,
 * keep the bytes in IndexedDB (readable offline later), show through object URLs.
 */
import { withDb, getBlob } from '../../db/index'
import { request } from '../../api/client'

const memo = new Map() // url → Promise<objectURL>
const MAX_CACHED = 400

async function fetchBytes(url) {
  const res = await request('GET', url, { timeout: 30000 })
  const buf = await res.arrayBuffer()
  return { bytes: buf, type: res.headers.get('content-type') || 'image/jpeg' }
}

async function trim(db) {
  const n = await db.count('photos')
  if (n <= MAX_CACHED) return
  const all = await db.getAll('photos')
  all.sort((a, b) => (a.at < b.at ? -1 : 1))
  const tx = db.transaction('photos', 'readwrite')
  for (const r of all.slice(0, n - MAX_CACHED)) tx.store.delete(r.url)
  await tx.done
}

export function photoObjectUrl(url) {
  if (!url) return Promise.resolve(null)
  if (!memo.has(url)) {
    const p = (async () => {
      const hit = await withDb((db) => db.get('photos', url)).catch(() => null)
      if (hit) return URL.createObjectURL(new Blob([hit.bytes], { type: hit.type }))
      const { bytes, type } = await fetchBytes(url)
      withDb(async (db) => {
        await db.put('photos', { url, bytes, type, at: new Date().toISOString() })
        await trim(db)
      }).catch(() => {})
      return URL.createObjectURL(new Blob([bytes], { type }))
    })()
    p.catch(() => memo.delete(url))
    memo.set(url, p)
  }
  return memo.get(url)
}

/** Forget the photos shown so far (logout, another person logging in): memoised URLs included. */
export function forgetPhotoUrls() {
  for (const p of memo.values()) p.then((u) => u && URL.revokeObjectURL(u), () => {})
  memo.clear()
}

/** A photo captured on this phone and not yet sent. */
export async function localPhotoUrl(id) {
  const rec = await getBlob(id)
  return rec ? URL.createObjectURL(new Blob([rec.bytes], { type: rec.type })) : null
}
