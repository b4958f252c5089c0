/**
 * The one IndexedDB database of the app (via `idb`).
 *  outbox   queued writes (tickets, photos, actions), keyPath id, index seq
 *  blobs    photo bytes captured on this phone: {id, bytes: ArrayBuffer, type, size, ...}
 *  cache    last-seen GET responses (lists, details, categories…): {key, data, at}
 *  photos   photo bytes fetched from the server for offline viewing: {url, bytes, type, at}
 *  drafts   autosaved forms: {key, data, at}
 * iOS may close the connection under us; getDb() reopens it on the next call.
 */
import { openDB, type IDBPDatabase } from 'idb'

export const DB_NAME = 'xuncha'
const VERSION = 1
let dbPromise: Promise<IDBPDatabase> | null = null

export function getDb() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, VERSION, {
      upgrade(db) {
        const outbox = db.createObjectStore('outbox', { keyPath: 'id' })
        outbox.createIndex('seq', 'seq')
        db.createObjectStore('blobs', { keyPath: 'id' })
        db.createObjectStore('cache', { keyPath: 'key' })
        db.createObjectStore('photos', { keyPath: 'url' })
        db.createObjectStore('drafts', { keyPath: 'key' })
      },
      terminated() {
        dbPromise = null // the browser closed it abnormally: reopen next time
      },
      blocking() {
        // Another tab wants a newer version: let it.
        dbPromise?.then((db) => db.close())
        dbPromise = null
      },
    }).catch((e) => {
      dbPromise = null
      throw e
    })
    dbPromise.then((db) => {
      db.addEventListener?.('close', () => {
        dbPromise = null
      })
    }, () => {})
  }
  return dbPromise
}

/** Run fn(db) and retry once with a fresh connection if the old one was closed (InvalidStateError). */
export async function withDb(fn) {
  try {
    return await fn(await getDb())
  } catch (e) {
    if (e && (e.name === 'InvalidStateError' || e.name === 'TransactionInactiveError')) {
      dbPromise = null
      return fn(await getDb())
    }
    throw e
  }
}

/** For tests. */
export async function _resetDbForTests() {
  if (dbPromise) (await dbPromise.catch(() => null))?.close()
  dbPromise = null
}

// ---- small helpers for the cache / drafts stores --------------------------------------------

export async function cacheGet(key) {
  return withDb((db) => db.get('cache', key))
}

export async function cachePut(key, data) {
  return withDb((db) => db.put('cache', { key, data, at: new Date().toISOString() }))
}

// Reference data every person gets alike: kept, so that capturing offline still finds the categories.
const SHARED = new Set(['/api/categories', '/api/units', '/api/grids'])

/**
 * Forget what a session fetched (last-seen responses, photos): on a shared phone the next person must not be
 * shown it, offline or not. Queued writes and drafts stay (each is kept under its own person).
 */
export async function clearFetched() {
  return withDb(async (db) => {
    const tx = db.transaction(['cache', 'photos'], 'readwrite')
    const cache = tx.objectStore('cache')
    for (const key of await cache.getAllKeys()) if (!SHARED.has(String(key))) await cache.delete(key)
    await tx.objectStore('photos').clear()
    await tx.done
  })
}

export async function draftGet(key) {
  return (await withDb((db) => db.get('drafts', key)))?.data ?? null
}

export async function draftPut(key, data) {
  return withDb((db) => db.put('drafts', { key, data, at: new Date().toISOString() }))
}

export async function draftDelete(key) {
  return withDb((db) => db.delete('drafts', key))
}

/**
 * Store photo bytes and read them back once to verify the write (Safari has lost Blob writes;
 * we store ArrayBuffer + type and compare the length after reading back).
 */
export async function putBlobVerified(rec) {
  await withDb((db) => db.put('blobs', rec))
  const back = await withDb((db) => db.get('blobs', rec.id))
  if (!back || !back.bytes || back.bytes.byteLength !== rec.bytes.byteLength) {
    throw new Error('photo_write_verify_failed')
  }
  return back
}

/** Whether the photo's bytes are on this phone (reads the key only, not the bytes). */
export async function hasBlob(id) {
  return (await withDb((db) => db.getKey('blobs', id))) !== undefined
}

export async function getBlob(id) {
  return withDb((db) => db.get('blobs', id))
}

export async function deleteBlob(id) {
  return withDb((db) => db.delete('blobs', id))
}
