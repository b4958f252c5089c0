// @ts-check
/** The office's administration API (/api/admin, admin only): units, users, categories, grids, settings, audit. */
import { request } from '../../api/client'

/**
 * @typedef {import('../../api/types').Schemas} S
 * @typedef {import('../../api/client').Query} Query
 */

/** @type {() => Promise<S['UnitAdmin'][]>} */
export const listUnits = () => request('GET', '/api/admin/units')
/** @type {(body: S['UnitCreate']) => Promise<S['UnitAdmin']>} */
export const createUnit = (body) => request('POST', '/api/admin/units', { json: body })
/** @type {(id: number, body: S['UnitPatch']) => Promise<S['UnitAdmin']>} */
export const patchUnit = (id, body) => request('PATCH', `/api/admin/units/${id}`, { json: body })

/** @type {(query?: Query) => Promise<S['UserAdmin'][]>} */
export const listUsers = (query) => request('GET', '/api/admin/users', { query })
/** @type {(body: S['UserCreate']) => Promise<S['UserAdmin']>} */
export const createUser = (body) => request('POST', '/api/admin/users', { json: body })
/** @type {(id: number, body: S['UserPatch']) => Promise<S['UserAdmin']>} */
export const patchUser = (id, body) => request('PATCH', `/api/admin/users/${id}`, { json: body })
/** @type {(id: number, password: string) => Promise<S['TokensRevoked']>} */
export const resetPassword = (id, password) => request('POST', `/api/admin/users/${id}/password`, { json: { password } })
/** @type {(id: number) => Promise<S['TokensRevoked']>} */
export const revokeTokens = (id) => request('POST', `/api/admin/users/${id}/revoke-tokens`)

/** @type {() => Promise<S['CategoryPublic'][]>} */
export const listCategories = () => request('GET', '/api/categories')
/** @type {(code: string, body: S['CategoryPatch']) => Promise<S['CategoryPublic']>} */
export const patchCategory = (code, body) => request('PATCH', `/api/admin/categories/${encodeURIComponent(code)}`, { json: body })

/** @type {() => Promise<S['GridAdmin'][]>} */
export const listGrids = () => request('GET', '/api/admin/grids')
/** @type {(body: S['GridImport']) => Promise<S['GridAdmin'][]>} */
export const importGrids = (body) => request('POST', '/api/admin/grids/import', { json: body, timeout: 60000 })
/** @type {() => Promise<S['GridCheck']>} */
export const checkGrids = () => request('GET', '/api/admin/grids/check', { timeout: 60000 })
/** @type {(id: number, body: S['GridPatch']) => Promise<S['GridAdmin']>} */
export const patchGrid = (id, body) => request('PATCH', `/api/admin/grids/${id}`, { json: body })

/** @type {() => Promise<S['OfficeSettingsOut']>} */
export const getSettings = () => request('GET', '/api/admin/settings')
/** @type {(body: S['MapSettings']) => Promise<S['OfficeSettingsOut']>} */
export const putMap = (body) => request('PUT', '/api/admin/settings/map', { json: body })
/** @type {() => Promise<S['OfficeSettingsOut']>} */
export const resetMap = () => request('DELETE', '/api/admin/settings/map')
/** @type {(body: S['RankRules']) => Promise<S['OfficeSettingsOut']>} */
export const putRankRules = (body) => request('PUT', '/api/admin/settings/rank-rules', { json: body })
/** @type {() => Promise<S['OfficeSettingsOut']>} */
export const resetRankRules = () => request('DELETE', '/api/admin/settings/rank-rules')
/** @type {(year: number) => Promise<S['CalendarYearOut']>} */
export const getCalendar = (year) => request('GET', `/api/admin/settings/calendar/${year}`)
/** @type {(year: number, body: S['CalendarYear']) => Promise<S['CalendarYearOut']>} */
export const putCalendar = (year, body) => request('PUT', `/api/admin/settings/calendar/${year}`, { json: body })
/** @type {(year: number) => Promise<S['CalendarYearOut']>} */
export const deleteCalendar = (year) => request('DELETE', `/api/admin/settings/calendar/${year}`)

/** @type {(query: Query) => Promise<S['AuditPage']>} */
export const listAudit = (query) => request('GET', '/api/admin/audit', { query })

/**
 * The server's words for a failed admin call: its message, and each field error of a 422.
 * @param {any} err
 * @returns {string}
 */
export function errorText(err) {
  if (!err) return ''
  const details = Array.isArray(err.details) ? err.details : []
  const parts = details
    .map((d) => {
      if (!d || typeof d !== 'object') return String(d)
      const where = Array.isArray(d.loc) ? d.loc.filter((/** @type {unknown} */ x) => x !== 'body').join('.') : typeof d.feature === 'number' ? `#${d.feature + 1}` : d.field || ''
      return [where, d.msg || d.message || ''].filter(Boolean).join(': ')
    })
    .filter(Boolean)
  const head = err.message || err.code || String(err)
  return parts.length ? `${head} (${parts.join('; ')})` : head
}
