// @ts-check
/** Reads for deadline exceptions: the requests queue (审批), the ledger (台帐) and its Excel export. */
import { getCached, request } from '../../api/client'

/**
 * @template T
 * @typedef {import('../../api/client').Cached<T>} Cached
 */

/**
 * GET /api/requests (state, kind, unit_id, limit, cursor); the last answer kept for offline reading.
 * @type {(query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').RequestPage>>}
 */
export const listRequests = (query) => getCached('/api/requests', query)
/**
 * GET /api/exceptions (kind, unit_id, start, end as the city's days, limit, cursor): the 台帐.
 * @type {(query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').ExceptionPage>>}
 */
export const listExceptions = (query) => getCached('/api/exceptions', query)

/**
 * Download the ledger as Excel with the bearer header (never a token in a URL), like the bulletin.
 * @param {import('../../api/client').Query} query
 */
export async function downloadExceptions(query) {
  const res = await request('GET', '/api/exceptions.xlsx', { query, timeout: 60000 })
  const blob = await res.blob()
  const cd = res.headers.get('content-disposition') || ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd)
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = m ? decodeURIComponent(m[1]) : 'exceptions.xlsx'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60000)
}
