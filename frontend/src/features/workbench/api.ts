/** The workbench's writes: bulk dispatch and bulk cancel (POST /api/tickets/bulk/*), all or none. */
import { post } from '../../api/client'

export type BulkDispatchIn = import('../../api/types').BulkDispatchIn
export type BulkCancelIn = import('../../api/types').BulkCancelIn
export type BulkResult = import('../../api/types').BulkResult

export const bulkDispatch: (body: BulkDispatchIn) => Promise<BulkResult> = (body) => post('/api/tickets/bulk/dispatch', body)

export const bulkCancel: (body: BulkCancelIn) => Promise<BulkResult> = (body) => post('/api/tickets/bulk/cancel', body)

/**
 * The tickets a refused bulk action names (its error's details), as "case number: reason" lines.
 */
export function refusedLines(details: unknown): string[] {
  const list = ((details || {}) as { tickets?: { case_number?: string | null; ticket_id: string; message: string }[] }).tickets
  return Array.isArray(list) ? list.map((r) => `${r.case_number || r.ticket_id}: ${r.message}`) : []
}
