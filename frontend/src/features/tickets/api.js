// @ts-check
/** Reads of tickets and reference data; each remembers its last answer for offline reading. */
import { getCached } from '../../api/client.js'

/**
 * @typedef {import('../../api/types.js').TicketPage} TicketPage
 * @typedef {import('../../api/types.js').TicketDetail} TicketDetail
 * @typedef {import('../../api/types.js').CategoryPublic} CategoryPublic
 * @typedef {import('../../api/types.js').UnitPublic} UnitPublic
 */
/**
 * @template T
 * @typedef {import('../../api/client.js').Cached<T>} Cached
 */

/** @type {(query: import('../../api/client.js').Query) => Promise<Cached<TicketPage>>} */
export const listTickets = (query) => getCached('/api/tickets', query)
/** @type {(id: string) => Promise<Cached<TicketDetail>>} */
export const getTicket = (id) => getCached(`/api/tickets/${encodeURIComponent(id)}`)
/** @type {() => Promise<Cached<CategoryPublic[]>>} */
export const listCategories = () => getCached('/api/categories')
/** @type {() => Promise<Cached<UnitPublic[]>>} */
export const listUnits = () => getCached('/api/units')
