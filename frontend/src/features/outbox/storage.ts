/** IndexedDB storage for the outbox engine (queued items in `outbox`, photo bytes in `blobs`). */
import { withDb } from '../../db/index'

export const idbOutboxStorage: import('./outbox').OutboxStorage = {
  async list() {
    return withDb((db) => db.getAllFromIndex('outbox', 'seq'))
  },
  async get(id) {
    return withDb((db) => db.get('outbox', id))
  },
  async put(item) {
    return withDb((db) => db.put('outbox', item))
  },
  /** All or nothing: a ticket and its photos are queued together. */
  async putMany(items) {
    return withDb(async (db) => {
      const tx = db.transaction(['outbox', 'blobs'], 'readwrite')
      for (const it of items) {
        if (it.kind === 'photo') {
          const stored = await tx.objectStore('blobs').getKey(it.id) // the key only: not megabytes of bytes
          if (stored === undefined) {
            tx.done.catch(() => {}) // the abort below rejects it: expected
            tx.abort()
            throw new Error(`photo ${it.id} bytes missing`)
          }
        }
        tx.objectStore('outbox').put(it)
      }
      await tx.done
    })
  },
  /** The server acknowledged it: delete the item (and a photo's bytes) in one transaction. */
  async ack(item) {
    return withDb(async (db) => {
      const tx = db.transaction(['outbox', 'blobs'], 'readwrite')
      tx.objectStore('outbox').delete(item.id)
      if (item.kind === 'photo') tx.objectStore('blobs').delete(item.id)
      await tx.done
    })
  },
}
