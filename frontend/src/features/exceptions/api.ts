/** Reads for deadline exceptions: the requests queue (审批), the ledger (台账) and its Excel export. */
import { getCached, request } from '../../api/client'

import type { Cached } from '../../api/client'

/**
 * GET /api/requests (state, kind, unit_id, limit, cursor); the last answer kept for offline reading.
 */
export const listRequests: (query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').RequestPage>> = (query) => getCached('/api/requests', query)
/**
 * GET /api/exceptions (kind, unit_id, start, end as the city's days, limit, cursor): the 台账.
 */
export const listExceptions: (query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').ExceptionPage>> = (query) => getCached('/api/exceptions', query)

/**
 * Download the ledger as Excel with the bearer header (never a token in a URL), like the bulletin.
 */
export async function downloadExceptions(query: import('../../api/client').Query) {
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
