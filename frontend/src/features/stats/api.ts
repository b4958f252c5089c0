/** Statistics API (/api/stats): figures, red/black list, trend, drill-down, timelines, bulletin exports. */
import { appLocale } from '../../lib/language'
import { get, getCached, post, request, type Query } from '../../api/client'
import type { GetResponse, Schemas } from '../../api/types'

export const getSummary = (query: Query) => getCached<GetResponse<'/api/stats/summary'>>('/api/stats/summary', query)
export const getRanking = (query: Query) => getCached<GetResponse<'/api/stats/ranking'>>('/api/stats/ranking', query)
export const getTrend = (query: Query) => getCached<GetResponse<'/api/stats/trend'>>('/api/stats/trend', query)
export const drillTickets = (query: Query): Promise<GetResponse<'/api/stats/tickets'>> => get('/api/stats/tickets', { query })
export const getOpenPoints = (query: Query): Promise<GetResponse<'/api/stats/open-points'>> => get('/api/stats/open-points', { query })
export const getTicketTimeline = (id: string): Promise<GetResponse<'/api/stats/tickets/{ticket_id}/timeline'>> => get(`/api/stats/tickets/${encodeURIComponent(id)}/timeline`)
export const getUnitTimeline = (query: Query): Promise<GetResponse<'/api/stats/timeline'>> => get('/api/stats/timeline', { query })

/** Fetch a file with the bearer header (never a token in a URL) and hand back the Blob and its name. */
async function fetchBlob(path: string, query?: Query): Promise<{ blob: Blob; name: string | null }> {
  const res = await request('GET', path, { query, timeout: 60000 })
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') || ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  return { blob, name: m ? decodeURIComponent(m[1]) : null }
}

/** Download the Excel bulletin (每周通报). */
export const downloadBulletin = (query: Query) => downloadFile('/api/stats/bulletin.xlsx', query)

/** Published bulletins (已发布通报), newest first; the last page read is kept for offline reading. */
export const listBulletins = (query: Query) => getCached<GetResponse<'/api/bulletins'>>('/api/bulletins', query)
/** Publish an ended period's bulletin: online only (never queued in the outbox), 409 if already published. */
export const publishBulletin = (body: Schemas['BulletinIn']) => post('/api/bulletins', body, { timeout: 60000 })
/** A published bulletin's Excel file, exactly as published. */
export const downloadPublished = (id: string | number) => downloadFile(`/api/bulletins/${encodeURIComponent(id)}.xlsx`)
/** A published bulletin's printable page, exactly as published. */
export const openPublished = (id: string | number) => openPrintable(`/api/bulletins/${encodeURIComponent(id)}.html`)

/** Save a file fetched with the bearer header under the name the server gives. */
export async function downloadFile(path: string, query?: Query) {
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
 * it only inside the click) and filled when the page arrives; then it gets a 打印 button.
 */
export async function openPrintable(path: string, query?: Query) {
  const win = window.open('', '_blank')
  try {
    const { blob } = await fetchBlob(path, query)
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/html' }))
    if (win) {
      win.location.href = url
      addPrintButton(win, url)
    } else window.location.href = url
    setTimeout(() => URL.revokeObjectURL(url), 10 * 60000)
  } catch (e) {
    if (win) win.close()
    throw e
  }
}

/**
 * The printable page says "use the browser's menu to print", which an app installed on a phone has none of: its
 * toolbar gets a 打印 button once it has loaded. The page itself runs no script (the app's CSP allows no inline
 * script); its opener, of the same origin (a blob: URL made here), adds the button and its handler.
 */
function addPrintButton(win: Window, url: string, triesLeft = 100) {
  let doc: Document | null = null
  try {
    doc = win.location.href === url && win.document.readyState === 'complete' ? win.document : null
  } catch {
    return // not ours any more (the reader went elsewhere in that window)
  }
  const bar = doc?.querySelector('.toolbar')
  if (!doc || !bar) {
    if (triesLeft > 0 && !win.closed) setTimeout(() => addPrintButton(win, url, triesLeft - 1), 100)
    return
  }
  const button = doc.createElement('button')
  button.type = 'button'
  button.className = 'print'
  // The document is the office's, in Chinese; the button speaks the reader's language.
  button.textContent = appLocale() === 'en' ? 'Print / save as PDF' : '打印 / 存为 PDF'
  button.setAttribute('data-testid', 'print-button')
  button.addEventListener('click', () => win.print())
  bar.replaceChildren(button)
}
