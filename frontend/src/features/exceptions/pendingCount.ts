/**
 * How many requests wait for this person's decision (审批 badge). A dispatcher decides every kind, a
 * leader suspensions only. Counted from one page of GET /api/requests?state=pending (99+ beyond).
 */
import { ref } from 'vue'
import { get } from '../../api/client'

export const pendingRequests = ref(0)
export const pendingMore = ref(false)
let inflight = null

export function refreshPendingCount(role: string | null) {
  if (!['dispatcher', 'leader'].includes(role)) return Promise.resolve()
  if (inflight) return inflight
  const query = { state: 'pending', limit: 99, kind: role === 'leader' ? 'suspension' : null }
  inflight = get('/api/requests', { query, timeout: 10000 })
    .then((page) => {
      pendingRequests.value = page.items.length
      pendingMore.value = !!page.next_cursor
    })
    .catch(() => {}) // offline or an older server: keep the last count
    .finally(() => (inflight = null))
  return inflight
}

/** The badge text: nothing at 0. */
export function badgeText() {
  if (!pendingRequests.value) return undefined
  return pendingMore.value ? '99+' : pendingRequests.value
}
