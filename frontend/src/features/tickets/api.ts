/** Reads of tickets and reference data; each remembers its last answer for offline reading. */
import { getCached } from '../../api/client'

export type TicketPage = import('../../api/types').TicketPage
export type TicketDetail = import('../../api/types').TicketDetail
export type CategoryPublic = import('../../api/types').CategoryPublic
export type UnitPublic = import('../../api/types').UnitPublic
import type { Cached } from '../../api/client'

export const listTickets: (query: import('../../api/client').Query) => Promise<Cached<TicketPage>> = (query) => getCached('/api/tickets', query)

export const getTicket: (id: string) => Promise<Cached<TicketDetail>> = (id) => getCached(`/api/tickets/${encodeURIComponent(id)}`)

export const listCategories: () => Promise<Cached<CategoryPublic[]>> = () => getCached('/api/categories')

export const listUnits: () => Promise<Cached<UnitPublic[]>> = () => getCached('/api/units')
