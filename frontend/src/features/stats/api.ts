/** Statistics API (/api/stats): figures, red/black list, trend, drill-down, timelines, bulletin exports. */
import { get, getCached, post, request } from '../../api/client'

export const getSummary = (query) => getCached('/api/stats/summary', query)
export const getRanking = (query) => getCached('/api/stats/ranking', query)
export const getTrend = (query) => getCached('/api/stats/trend', query)
export const drillTickets = (query) => get('/api/stats/tickets', { query })
export const getOpenPoints = (query) => get('/api/stats/open-points', { query })
export const getTicketTimeline = (id) => get(`/api/stats/tickets/${encodeURIComponent(id)}/timeline`)
export const getUnitTimeline = (query) => get('/api/stats/timeline', { query })

/** Fetch a file with the bearer header (never a token in a URL) and hand back the Blob and its name. */
async function fetchBlob(path, query) {
  const res = await request('GET', path, { query, timeout: 60000 })
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') || ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  return { blob, name: m ? decodeURIComponent(m[1]) : null }
}

/** Download the Excel bulletin (每周通报). */
export const downloadBulletin = (query) => downloadFile('/api/stats/bulletin.xlsx', query)

/** Published bulletins (已发布通报), newest first; the last page read is kept for offline reading. */
export const listBulletins = (query) => getCached('/api/bulletins', query)
/** Publish an ended period's bulletin: online only (never queued in the outbox), 409 if already published. */
export const publishBulletin = (body) => post('/api/bulletins', body, { timeout: 60000 })
/** A published bulletin's Excel file, exactly as published. */
export const downloadPublished = (id) => downloadFile(`/api/bulletins/${encodeURIComponent(id)}.xlsx`)
/** A published bulletin's printable page, exactly as published. */
export const openPublished = (id) => openPrintable(`/api/bulletins/${encodeURIComponent(id)}.html`)

/** Save a file fetched with the bearer header under the name the server gives. */
export async function downloadFile(path, query) {
  const { blob, name } = await fetchBlob(path, query)
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name || 'bulletin.xlsx'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60000)
}

/**
 * Open a printable page (bulletin or 督办通知书). Photos are already inside the HTML as data: URIs, so the
 * blob page needs no further (authenticated) requests. The window is opened first (popup blockers allow
 * it only inside the click) and filled when the page arrives.
 */
export async function openPrintable(path, query) {
  const win = window.open('', '_blank')
  try {
    const { blob } = await fetchBlob(path, query)
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/html' }))
    if (win) win.location.href = url
    else window.location.href = url
    setTimeout(() => URL.revokeObjectURL(url), 10 * 60000)
  } catch (e) {
    if (win) win.close()
    throw e
  }
}
