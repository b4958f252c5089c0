/** Reads of tickets and reference data; each remembers its last answer for offline reading. */
import { getCached } from '../../api/client.js'

export const listTickets = (query) => getCached('/api/tickets', query)
export const getTicket = (id) => getCached(`/api/tickets/${encodeURIComponent(id)}`)
export const listCategories = () => getCached('/api/categories')
export const listUnits = () => getCached('/api/units')
