// @ts-check
/** Reads of tickets and reference data; each remembers its last answer for offline reading. */
import { getCached } from '../../api/client'

/**
 * @typedef {import('../../api/types').TicketPage} TicketPage
 * @typedef {import('../../api/types').TicketDetail} TicketDetail
 * @typedef {import('../../api/types').CategoryPublic} CategoryPublic
 * @typedef {import('../../api/types').UnitPublic} UnitPublic
 */
/**
 * @template T
 * @typedef {import('../../api/client').Cached<T>} Cached
 */

/** @type {(query: import('../../api/client').Query) => Promise<Cached<TicketPage>>} */
export const listTickets = (query) => getCached('/api/tickets', query)
/** @type {(id: string) => Promise<Cached<TicketDetail>>} */
export const getTicket = (id) => getCached(`/api/tickets/${encodeURIComponent(id)}`)
/** @type {() => Promise<Cached<CategoryPublic[]>>} */
export const listCategories = () => getCached('/api/categories')
/** @type {() => Promise<Cached<UnitPublic[]>>} */
export const listUnits = () => getCached('/api/units')
