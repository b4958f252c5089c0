/** How queued items travel: photos as multipart (with progress); tickets, actions and evaluations as JSON. */
import { uploadWithProgress, postForResult, ping } from '../../api/client'
import { getBlob } from '../../db/index'

export const httpTransport: import('./outbox').OutboxTransport = {
  ping,
  async send(item, { onProgress } = {}) {
    if (item.kind === 'photo') {
      const rec = await getBlob(item.id)
      if (!rec) return { status: 422, error: { code: 'photo_bytes_missing', message: 'photo bytes missing on this phone' } }
      const fd = new FormData()
      fd.append('id', item.id)
      const m = item.meta || {}
      if (m.lat != null) fd.append('lat', String(m.lat))
      if (m.lng != null) fd.append('lng', String(m.lng))
      if (m.captured_at) fd.append('captured_at', m.captured_at)
      const ext = rec.type === 'image/jpeg' ? 'jpg' : (rec.type.split('/')[1] || 'bin')
      fd.append('file', new Blob([rec.bytes], { type: rec.type }), `${item.id}.${ext}`)
      return uploadWithProgress('/api/photos', fd, onProgress)
    }
    if (item.kind === 'ticket') return postForResult('/api/tickets', item.body)
    if (item.kind === 'action') return postForResult(`/api/tickets/${item.ticketId}/${item.action}`, item.body)
    if (item.kind === 'evalResult') {
      return postForResult(`/api/evaluation/rounds/${item.roundId}/sites/${item.siteId}/result`, item.body)
    }
    // Items queued by an older version of the app may carry a kind this one does not know.
    const kind = (item as { kind: unknown }).kind
    return { status: 422, error: { code: 'unknown_item', message: `unknown item kind ${kind}` } }
  },
}
