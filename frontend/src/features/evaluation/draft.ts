// @ts-check
/**
 * A site's evaluation as the phone keeps it while the inspector works (autosaved to IndexedDB on every
 * answer), and the one submission (ResultIn) built from it. Pure: no DOM, no database, no network.
 *
 * Deduction as the server scores it (app/evaluation/scoring.py): an all-or-nothing item loses its points
 * when it fails; a per-occurrence item loses deduction × occurrences, capped at its points. An item
 * 不适用 (na) or 无法调查 (unable: it could not be checked, e.g. a locked area; a reason is required) loses
 * nothing and leaves the possible points.
 */

/**
 * @typedef {import('../../api/types').ChecklistItemOut} ChecklistItem
 * @typedef {import('../../api/types').ResultIn} ResultIn
 * @typedef {{id: string, size?: number, originalSize?: number, width?: number, height?: number,
 *   meta?: {lat?: number, lng?: number, captured_at?: string}}} DraftPhoto
 * @typedef {{verdict: 'pass' | 'fail' | 'na' | 'unable' | null, occurrences: number, note: string, photos: DraftPhoto[]}} DraftAnswer
 * @typedef {{resultId: string, roundId: number, siteId: number, checklistId: number,
 *   status: 'evaluated' | 'unable', unableReason: string, answers: Record<string, DraftAnswer>,
 *   startedAt: string, queuedAt: string | null}} Draft
 * @typedef {{lat: number, lng: number, accuracy?: number | null}} Position
 */

export const VERDICTS = /** @type {const} */ (['pass', 'fail', 'na', 'unable'])

/** The drafts-store key of one site of one round, for one inspector. */
export function draftKey(username, roundId, siteId) {
  return `eval:${username}:${roundId}:${siteId}`
}

/**
 * A fresh draft; its resultId is the submission's idempotency key, fixed from the first answer on.
 * @param {{roundId: number, siteId: number, checklistId: number, resultId: string, now?: string}} p
 * @returns {Draft}
 */
export function newDraft({ roundId, siteId, checklistId, resultId, now = new Date().toISOString() }) {
  return { resultId, roundId, siteId, checklistId, status: 'evaluated', unableReason: '', answers: {}, startedAt: now, queuedAt: null }
}

/** @returns {DraftAnswer} */
export function blankAnswer() {
  return { verdict: null, occurrences: 1, note: '', photos: [] }
}

/**
 * Points lost by an answer, in tenths (the server's unit), so sums stay exact.
 * @param {ChecklistItem} item
 * @param {DraftAnswer | undefined} a
 */
export function lossTenths(item, a) {
  if (!a || a.verdict !== 'fail') return 0
  if (item.rule === 'all_or_nothing') return item.points_tenths
  return Math.min(item.points_tenths, item.deduction_tenths * Math.max(1, a.occurrences || 1))
}

/**
 * What still keeps an item from being done: null when it is done.
 * @param {ChecklistItem} item
 * @param {DraftAnswer | undefined} a
 * @returns {null | 'unanswered' | 'photos' | 'occurrences' | 'reason'}
 */
export function itemProblem(item, a) {
  if (!a || !a.verdict) return 'unanswered'
  if (a.verdict === 'unable') return (a.note || '').trim() ? null : 'reason'
  if (a.verdict !== 'fail') return null
  if (!Number.isInteger(a.occurrences) || a.occurrences < 1) return 'occurrences'
  if ((a.photos || []).length < item.photos_required) return 'photos'
  return null
}

/**
 * "已答 12/30": items done (answered, and a failure with its occurrences and photos), and whether the
 * site may be submitted (every item done, or 无法调查 with a reason).
 * @param {ChecklistItem[]} items
 * @param {Draft} draft
 */
export function progress(items, draft) {
  const done = items.filter((it) => !itemProblem(it, draft.answers[it.code])).length
  const unable = draft.status === 'unable'
  const complete = unable ? !!draft.unableReason.trim() : items.length > 0 && done === items.length
  const lost = unable ? 0 : items.reduce((s, it) => s + lossTenths(it, draft.answers[it.code]), 0)
  return { done, total: items.length, complete, lostTenths: lost }
}

/**
 * The index of the first item not done after `from` (wrapping round), or -1 when all are done.
 * @param {ChecklistItem[]} items
 * @param {Draft} draft
 * @param {number} [from] start after this index
 */
export function nextOpen(items, draft, from = -1) {
  const n = items.length
  for (let k = 1; k <= n; k++) {
    const i = (from + k + n) % n
    if (itemProblem(items[i], draft.answers[items[i].code])) return i
  }
  return -1
}

/**
 * The submission: ResultIn for POST /api/evaluation/rounds/{r}/sites/{s}/result, the photos it carries
 * (queued before it), and the photos taken but not used (an item changed from 不达标 to 达标): their
 * bytes may go. Throws when the draft is not complete.
 * @param {ChecklistItem[]} items
 * @param {Draft} draft
 * @param {Position | null} position where the inspector stands at submission (check-in distance)
 * @returns {{body: ResultIn, photos: DraftPhoto[], unusedPhotoIds: string[]}}
 */
export function buildResult(items, draft, position) {
  const p = progress(items, draft)
  if (!p.complete) throw new Error(draft.status === 'unable' ? 'unable_reason_required' : 'incomplete')
  /** @type {ResultIn} */
  const body = {
    id: draft.resultId,
    status: draft.status,
    unable_reason: draft.status === 'unable' ? draft.unableReason.trim() : null,
    lat: position ? position.lat : null,
    lng: position ? position.lng : null,
    accuracy_m: position && position.accuracy != null ? Math.round(position.accuracy * 10) / 10 : null,
    answers: [],
  }
  /** @type {DraftPhoto[]} */
  const photos = []
  const used = new Set()
  if (draft.status === 'evaluated') {
    for (const it of items) {
      const a = draft.answers[it.code]
      const verdict = /** @type {'pass' | 'fail' | 'na' | 'unable'} */ (a.verdict)
      const note = a.note.trim()
      /** @type {ResultIn['answers'][number]} */
      const out = { item_code: it.code, verdict }
      if (note) out.note = note
      if (verdict === 'fail') {
        out.occurrences = it.rule === 'all_or_nothing' ? 1 : a.occurrences
        out.photo_ids = a.photos.map((ph) => ph.id)
        for (const ph of a.photos) {
          photos.push(ph)
          used.add(ph.id)
        }
      }
      body.answers.push(out)
    }
  }
  const unusedPhotoIds = Object.values(draft.answers).flatMap((a) => (a.photos || []).map((ph) => ph.id)).filter((id) => !used.has(id))
  return { body, photos, unusedPhotoIds }
}

/**
 * The draft again editable after its queued submission was discarded from the outbox (null: none).
 * @param {Draft | null} draft
 * @returns {Draft | null}
 */
export function reopened(draft) {
  return draft && draft.queuedAt ? { ...draft, queuedAt: null } : null
}

/**
 * Where a site stands for the list: submitted (the server has it, or the outbox delivered it: a queued
 * item leaves the outbox only acknowledged, or discarded, which reopens the draft), queued (待上传: in the
 * outbox), draft (answers on the phone), or new.
 * @param {{result_id?: string | null}} mySite
 * @param {Draft | null} draft
 * @param {Set<string>} queuedIds ids in the outbox
 * @returns {'submitted' | 'queued' | 'draft' | 'new'}
 */
export function siteState(mySite, draft, queuedIds) {
  if (mySite.result_id) return 'submitted'
  if (draft?.queuedAt) return queuedIds.has(draft.resultId) ? 'queued' : 'submitted'
  if (draft && (draft.status === 'unable' || Object.values(draft.answers).some((a) => a.verdict))) return 'draft'
  return 'new'
}
