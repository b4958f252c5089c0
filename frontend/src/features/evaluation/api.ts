// @ts-check
/** 实地测评 API: site types, the site registry, rounds and the inspector's assigned sites. */
import { getCached, post, request } from '../../api/client'
import { downloadFile, openPrintable } from '../stats/api'

/**
 * @template T
 * @typedef {import('../../api/client').Cached<T>} Cached
 */
/** @typedef {import('../../api/types').RoundDetail} RoundDetail */

/** @type {() => Promise<Cached<import('../../api/types').SiteTypeOut[]>>} */
export const listSiteTypes = () => getCached('/api/evaluation/site-types')
/**
 * GET /api/evaluation/sites (site_type, unit_id, active, q, limit, offset).
 * @type {(query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').SitePage>>}
 */
export const listSites = (query) => getCached('/api/evaluation/sites', query)
/**
 * GET /api/evaluation/rounds (state, limit, cursor), newest first.
 * @type {(query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').RoundPage>>}
 */
export const listRounds = (query) => getCached('/api/evaluation/rounds', query)
/** @type {(id: number) => Promise<Cached<RoundDetail>>} */
export const getRound = (id) => getCached(`/api/evaluation/rounds/${id}`)
/** @type {() => Promise<Cached<import('../../api/types').MySiteOut[]>>} */
export const listMySites = () => getCached('/api/evaluation/my-sites')
/** @type {() => Promise<import('../../api/types').InspectorOut[]>} */
export const listInspectors = () => request('GET', '/api/evaluation/inspectors')

/** @type {(body: import('../../api/types').RoundIn) => Promise<RoundDetail>} */
export const createRound = (body) => post('/api/evaluation/rounds', body)
/** @type {(id: number, to: import('../../api/types').RoundState) => Promise<RoundDetail>} */
export const transitionRound = (id, to) => post(`/api/evaluation/rounds/${id}/transition`, { to })
/** @type {(id: number, body: import('../../api/types').FollowupIn) => Promise<RoundDetail>} */
export const followupRound = (id, body) => post(`/api/evaluation/rounds/${id}/followup`, body)

/**
 * A round's report (scores, ranking, lost points, 回头看, 问题清单), as the caller may see it; kept for offline reading.
 * @type {(id: number) => Promise<Cached<import('../../api/types').RoundReportOut>>}
 */
export const getRoundReport = (id) => getCached(`/api/evaluation/rounds/${id}/report`)
/** The report's Excel workbook, fetched with the bearer header. @type {(id: number) => Promise<void>} */
export const downloadRoundReport = (id) => downloadFile(`/api/evaluation/rounds/${id}/report.xlsx`)
/** The report's printable A4 page (photos inline). @type {(id: number) => Promise<void>} */
export const openRoundReport = (id) => openPrintable(`/api/evaluation/rounds/${id}/report.html`)
/**
 * One checklist version with its items, kept in the offline cache (IndexedDB) so a site can be evaluated
 * without a network; a version never changes, so its cached copy stays right.
 * @type {(id: number) => Promise<Cached<import('../../api/types').ChecklistOut>>}
 */
export const getChecklist = (id) => getCached(`/api/evaluation/checklists/${id}`)
/** A submitted site's result (404 before there is one). @type {(roundId: number, siteId: number) => Promise<Cached<import('../../api/types').ResultOut>>} */
export const getResult = (roundId, siteId) => getCached(`/api/evaluation/rounds/${roundId}/sites/${siteId}/result`)
