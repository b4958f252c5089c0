// @ts-check
/** The workbench's writes: bulk dispatch and bulk cancel (POST /api/tickets/bulk/*), all or none. */
import { post } from '../../api/client'

/**
 * @typedef {import('../../api/types').BulkDispatchIn} BulkDispatchIn
 * @typedef {import('../../api/types').BulkCancelIn} BulkCancelIn
 * @typedef {import('../../api/types').BulkResult} BulkResult
 */

/** @type {(body: BulkDispatchIn) => Promise<BulkResult>} */
export const bulkDispatch = (body) => post('/api/tickets/bulk/dispatch', body)
/** @type {(body: BulkCancelIn) => Promise<BulkResult>} */
export const bulkCancel = (body) => post('/api/tickets/bulk/cancel', body)

/**
 * The tickets a refused bulk action names (its error's details), as "case number: reason" lines.
 * @param {unknown} details
 * @returns {string[]}
 */
export function refusedLines(details) {
  const list = /** @type {{tickets?: {case_number?: string | null, ticket_id: string, message: string}[]}} */ (details || {}).tickets
  return Array.isArray(list) ? list.map((r) => `${r.case_number || r.ticket_id}: ${r.message}`) : []
}
