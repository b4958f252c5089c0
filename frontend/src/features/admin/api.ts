/**
 * The office's administration API (/api/admin, admin only): units, users, categories, grids, settings, audit; and the
 * admin's parts of /api/evaluation (sites, checklists) and /api/notifications (channels, people's SMS, settings).
 */
import { i18n } from '../../i18n/index'
import './i18n' // the words errorText uses
import { request } from '../../api/client'
import { messageInLanguage } from '../../lib/language'

export type S = import('../../api/types').Schemas
export type Query = import('../../api/client').Query

export const listUnits: () => Promise<S['UnitAdmin'][]> = () => request('GET', '/api/admin/units')

export const createUnit: (body: S['UnitCreate']) => Promise<S['UnitAdmin']> = (body) => request('POST', '/api/admin/units', { json: body })

export const patchUnit: (id: number, body: S['UnitPatch']) => Promise<S['UnitAdmin']> = (id, body) => request('PATCH', `/api/admin/units/${id}`, { json: body })

export const listUsers: (query?: Query) => Promise<S['UserAdmin'][]> = (query) => request('GET', '/api/admin/users', { query })

export const createUser: (body: S['UserCreate']) => Promise<S['UserAdmin']> = (body) => request('POST', '/api/admin/users', { json: body })

export const patchUser: (id: number, body: S['UserPatch']) => Promise<S['UserAdmin']> = (id, body) => request('PATCH', `/api/admin/users/${id}`, { json: body })

export const resetPassword: (id: number, password: string) => Promise<S['TokensRevoked']> = (id, password) => request('POST', `/api/admin/users/${id}/password`, { json: { password } })

export const revokeTokens: (id: number) => Promise<S['TokensRevoked']> = (id) => request('POST', `/api/admin/users/${id}/revoke-tokens`)

export const listCategories: () => Promise<S['CategoryPublic'][]> = () => request('GET', '/api/categories')

export const patchCategory: (code: string, body: S['CategoryPatch']) => Promise<S['CategoryPublic']> = (code, body) => request('PATCH', `/api/admin/categories/${encodeURIComponent(code)}`, { json: body })

export const listGrids: () => Promise<S['GridAdmin'][]> = () => request('GET', '/api/admin/grids')

export const importGrids: (body: S['GridImport']) => Promise<S['GridAdmin'][]> = (body) => request('POST', '/api/admin/grids/import', { json: body, timeout: 60000 })

export const checkGrids: () => Promise<S['GridCheck']> = () => request('GET', '/api/admin/grids/check', { timeout: 60000 })

export const patchGrid: (id: number, body: S['GridPatch']) => Promise<S['GridAdmin']> = (id, body) => request('PATCH', `/api/admin/grids/${id}`, { json: body })

export const getSettings: () => Promise<S['OfficeSettingsOut']> = () => request('GET', '/api/admin/settings')

export const putMap: (body: S['MapSettings']) => Promise<S['OfficeSettingsOut']> = (body) => request('PUT', '/api/admin/settings/map', { json: body })

export const resetMap: () => Promise<S['OfficeSettingsOut']> = () => request('DELETE', '/api/admin/settings/map')

export const putRankRules: (body: S['RankRules']) => Promise<S['OfficeSettingsOut']> = (body) => request('PUT', '/api/admin/settings/rank-rules', { json: body })

export const resetRankRules: () => Promise<S['OfficeSettingsOut']> = () => request('DELETE', '/api/admin/settings/rank-rules')

export const getCalendar: (year: number) => Promise<S['CalendarYearOut']> = (year) => request('GET', `/api/admin/settings/calendar/${year}`)

export const putCalendar: (year: number, body: S['CalendarYear']) => Promise<S['CalendarYearOut']> = (year, body) => request('PUT', `/api/admin/settings/calendar/${year}`, { json: body })

export const deleteCalendar: (year: number) => Promise<S['CalendarYearOut']> = (year) => request('DELETE', `/api/admin/settings/calendar/${year}`)

export const listChannels: () => Promise<S['ChannelOut'][]> = () => request('GET', '/api/notifications/channels')
export const createChannel: (body: S['ChannelIn']) => Promise<S['ChannelOut']> = (body) => request('POST', '/api/notifications/channels', { json: body })
export const patchChannel: (id: number, body: S['ChannelPatch']) => Promise<S['ChannelOut']> = (id, body) => request('PATCH', `/api/notifications/channels/${id}`, { json: body })

export const listSites: (query: Query) => Promise<S['SitePage']> = (query) => request('GET', '/api/evaluation/sites', { query })
export const createSite: (body: S['SiteIn']) => Promise<S['SiteOut']> = (body) => request('POST', '/api/evaluation/sites', { json: body })
export const patchSite: (id: number, body: S['SitePatch']) => Promise<S['SiteOut']> = (id, body) => request('PATCH', `/api/evaluation/sites/${id}`, { json: body })
/** A .csv/.xlsx/.geojson file of sites, all or nothing: a refusal (422 import_failed) lists every {row, column, message}. */
export const importSites: (file: File) => Promise<S['ImportResult']> = (file) => {
  const form = new FormData()
  form.append('file', file)
  return request('POST', '/api/evaluation/sites/import', { form, timeout: 60000 })
}
export const listSiteTypes: () => Promise<S['SiteTypeOut'][]> = () => request('GET', '/api/evaluation/site-types')

export const listChecklistVersions: (siteType: string) => Promise<S['ChecklistSummary'][]> = (siteType) => request('GET', `/api/evaluation/site-types/${encodeURIComponent(siteType)}/checklists`)
export const getChecklist: (siteType: string, version: number) => Promise<S['ChecklistOut']> = (siteType, version) => request('GET', `/api/evaluation/site-types/${encodeURIComponent(siteType)}/checklists/${version}`)
export const createChecklist: (siteType: string, body: S['ChecklistIn']) => Promise<S['ChecklistOut']> = (siteType, body) => request('POST', `/api/evaluation/site-types/${encodeURIComponent(siteType)}/checklists`, { json: body })

export const listSubscriptions: () => Promise<S['SubscriptionOut'][]> = () => request('GET', '/api/notifications/subscriptions')
export const putSubscription: (userId: number, body: S['SubscriptionIn']) => Promise<S['SubscriptionOut']> = (userId, body) => request('PUT', `/api/notifications/subscriptions/${userId}`, { json: body })
export const removeSubscription: (userId: number) => Promise<null> = (userId) => request('DELETE', `/api/notifications/subscriptions/${userId}`)

export const getNotifySettings: () => Promise<S['SettingsOut']> = () => request('GET', '/api/notifications/settings')
export const putNotifySettings: (body: S['SettingsIn']) => Promise<S['SettingsOut']> = (body) => request('PUT', '/api/notifications/settings', { json: body })

export const listAudit: (query: Query) => Promise<S['AuditPage']> = (query) => request('GET', '/api/admin/audit', { query })

/** A weak password's rule as the server words it ("密码不能全是数字 not only digits") in the app's language. */
export function inLanguage(text: string, locale: string): string {
  return messageInLanguage(text, locale, { anyCase: true })
}

/**
 * The server's words for a failed admin call: its message, and each field error of a 422.
 */
export function errorText(err: any): string {
  if (!err) return ''
  if (err.code === 'weak_password' && Array.isArray(err.details) && err.details.every((d) => typeof d === 'string')) {
    // Each rule the password breaks, in the app's language (the server's message holds both).
    const locale = String(i18n.global.locale.value || i18n.global.locale)
    return `${i18n.global.t('admin.users.weakPassword')}${err.details.map((d: string) => inLanguage(d, locale)).join(locale.startsWith('zh') ? '；' : '; ')}`
  }
  const details = Array.isArray(err.details) ? err.details : []
  const parts = details
    .map((d) => {
      if (!d || typeof d !== 'object') return String(d)
      const where = Array.isArray(d.loc) ? d.loc.filter(( x: unknown) => x !== 'body').join('.') : typeof d.feature === 'number' ? `#${d.feature + 1}` : d.field || ''
      return [where, d.msg || d.message || ''].filter(Boolean).join(': ')
    })
    .filter(Boolean)
  const head = err.message || err.code || String(err)
  // A message may already list its details (a weak password names every rule it breaks): not twice.
  const more = parts.filter((p: string) => !head.includes(p))
  return more.length ? `${head} (${more.join('; ')})` : head
}
