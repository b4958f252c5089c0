/**
 * The inbox (消息): the unread count for the tab bar's badge and the reads the inbox page needs. Read state
 * lives on the server, so a message read on one phone is read on every device of that person.
 */
import { ref } from 'vue'
import { getCached, get, post } from '../../api/client'

export const unread = ref(0)
let inflight = null

/** Refresh the badge; offline or on an error the last count stays. */
export function refreshUnread() {
  if (inflight) return inflight
  inflight = get('/api/notifications/unread-count', { timeout: 10000 })
    .then((r) => (unread.value = r.unread))
    .catch(() => {})
    .finally(() => (inflight = null))
  return inflight
}

/** One page of the inbox, network first, the last-seen copy offline: {data, fromCache, at}. */
export async function listInbox(query) {
  const r = await getCached('/api/notifications', query)
  if (!r.fromCache) unread.value = r.data.unread
  return r
}

export async function markRead(id) {
  const n = await post(`/api/notifications/${id}/read`, {})
  refreshUnread()
  return n
}

/** Everything read, or only one ticket's messages (opening the ticket reads them). */
export async function markAllRead(ticketId = null) {
  const r = await post('/api/notifications/read', ticketId ? { ticket_id: ticketId } : {})
  unread.value = r.unread
  return r
}

/** The badge text: nothing at 0, 99+ beyond. */
export function unreadBadge() {
  if (!unread.value) return undefined
  return unread.value > 99 ? '99+' : unread.value
}
