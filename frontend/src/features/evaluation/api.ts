/** 实地测评 API: site types, the site registry, rounds and the inspector's assigned sites. */
import { getCached, post, request } from '../../api/client'
import { downloadFile, openPrintable } from '../stats/api'

import type { Cached } from '../../api/client'
export type RoundDetail = import('../../api/types').RoundDetail

export const listSiteTypes: () => Promise<Cached<import('../../api/types').SiteTypeOut[]>> = () => getCached('/api/evaluation/site-types')
/**
 * GET /api/evaluation/sites (site_type, unit_id, active, q, limit, offset).
 */
export const listSites: (query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').SitePage>> = (query) => getCached('/api/evaluation/sites', query)
/**
 * GET /api/evaluation/rounds (state, limit, cursor), newest first.
 */
export const listRounds: (query: import('../../api/client').Query) => Promise<Cached<import('../../api/types').RoundPage>> = (query) => getCached('/api/evaluation/rounds', query)

export const getRound: (id: number) => Promise<Cached<RoundDetail>> = (id) => getCached(`/api/evaluation/rounds/${id}`)

export const listMySites: () => Promise<Cached<import('../../api/types').MySiteOut[]>> = () => getCached('/api/evaluation/my-sites')

export const listInspectors: () => Promise<import('../../api/types').InspectorOut[]> = () => request('GET', '/api/evaluation/inspectors')

export const createRound: (body: import('../../api/types').RoundIn) => Promise<RoundDetail> = (body) => post('/api/evaluation/rounds', body)

export const transitionRound: (id: number, to: import('../../api/types').RoundState) => Promise<RoundDetail> = (id, to) => post(`/api/evaluation/rounds/${id}/transition`, { to })

export const assignRound: (id: number, body: import('../../api/types').AssignmentsIn) => Promise<RoundDetail> = (id, body) => post(`/api/evaluation/rounds/${id}/assignments`, body)

export const followupRound: (id: number, body: import('../../api/types').FollowupIn) => Promise<RoundDetail> = (id, body) => post(`/api/evaluation/rounds/${id}/followup`, body)

/**
 * A round's report (scores, ranking, lost points, 回头看, 问题清单), as the caller may see it; kept for offline reading.
 */
export const getRoundReport: (id: number) => Promise<Cached<import('../../api/types').RoundReportOut>> = (id) => getCached(`/api/evaluation/rounds/${id}/report`)
/** The report's Excel workbook, fetched with the bearer header. */
export const downloadRoundReport: (id: number) => Promise<void> = (id) => downloadFile(`/api/evaluation/rounds/${id}/report.xlsx`)
/** The report's printable A4 page (photos inline). */
export const openRoundReport: (id: number) => Promise<void> = (id) => openPrintable(`/api/evaluation/rounds/${id}/report.html`)
/**
 * One checklist version with its items, kept in the offline cache (IndexedDB) so a site can be evaluated
 * without a network; a version never changes, so its cached copy stays right.
 */
export const getChecklist: (id: number) => Promise<Cached<import('../../api/types').ChecklistOut>> = (id) => getCached(`/api/evaluation/checklists/${id}`)
/** A submitted site's result (404 before there is one). */
export const getResult: (roundId: number, siteId: number) => Promise<Cached<import('../../api/types').ResultOut>> = (roundId, siteId) => getCached(`/api/evaluation/rounds/${roundId}/sites/${siteId}/result`)
