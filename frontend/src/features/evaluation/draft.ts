/**
 * A site's evaluation as the phone keeps it while the inspector works (autosaved to IndexedDB on every
 * answer), and the one submission (ResultIn) built from it. Pure: no DOM, no database, no network.
 *
 * Deduction as the server scores it (app/evaluation/scoring.py): an all-or-nothing item loses its points
 * when it fails; a per-occurrence item loses deduction × occurrences, capped at its points. An item
 * 不适用 (na) or 无法调查 (unable: it could not be checked, e.g. a locked area; a reason is required) loses
 * nothing and leaves the possible points.
 */

export type ChecklistItem = import('../../api/types').ChecklistItemOut
export type ResultIn = import('../../api/types').ResultIn
export type DraftPhoto = {
  id: string; size?: number; originalSize?: number; width?: number; height?: number
  meta?: { lat?: number; lng?: number; captured_at?: string} 
}

export type DraftAnswer = { verdict: 'pass' | 'fail' | 'na' | 'unable' | null; occurrences: number; note: string; photos: DraftPhoto[]} 
export type Draft = {
  resultId: string; roundId: number; siteId: number; checklistId: number
  status: 'evaluated' | 'unable'; unableReason: string; answers: Record<string, DraftAnswer>
  startedAt: string; queuedAt: string | null
}

export type Position = { lat: number; lng: number; accuracy?: number | null} 

export const VERDICTS = ['pass', 'fail', 'na', 'unable'] as const

/** The drafts-store key of one site of one round, for one inspector. */
export function draftKey(username, roundId, siteId) {
  return `eval:${username}:${roundId}:${siteId}`
}

/**
 * A fresh draft; its resultId is the submission's idempotency key, fixed from the first answer on.
 */
export function newDraft({ roundId, siteId, checklistId, resultId, now = new Date().toISOString() }: { roundId: number; siteId: number; checklistId: number; resultId: string; now?: string }): Draft {
  return { resultId, roundId, siteId, checklistId, status: 'evaluated', unableReason: '', answers: {}, startedAt: now, queuedAt: null }
}

export function blankAnswer(): DraftAnswer {
  return { verdict: null, occurrences: 1, note: '', photos: [] }
}

/**
 * Points lost by an answer, in tenths (the server's unit), so sums stay exact.
 */
export function lossTenths(item: ChecklistItem, a: DraftAnswer | undefined) {
  if (!a || a.verdict !== 'fail') return 0
  if (item.rule === 'all_or_nothing') return item.points_tenths
  return Math.min(item.points_tenths, item.deduction_tenths * Math.max(1, a.occurrences || 1))
}

/**
 * What still keeps an item from being done: null when it is done.
 */
export function itemProblem(item: ChecklistItem, a: DraftAnswer | undefined): null | 'unanswered' | 'photos' | 'occurrences' | 'reason' {
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
 */
export function progress(items: ChecklistItem[], draft: Draft) {
  const done = items.filter((it) => !itemProblem(it, draft.answers[it.code])).length
  const unable = draft.status === 'unable'
  const complete = unable ? !!draft.unableReason.trim() : items.length > 0 && done === items.length
  const lost = unable ? 0 : items.reduce((s, it) => s + lossTenths(it, draft.answers[it.code]), 0)
  return { done, total: items.length, complete, lostTenths: lost }
}

/**
 * The index of the first item not done after `from` (wrapping round), or -1 when all are done.
 * @param from start after this index
 */
export function nextOpen(items: ChecklistItem[], draft: Draft, from: number = -1) {
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
 * @param position where the inspector stands at submission (check-in distance)
 */
export function buildResult(items: ChecklistItem[], draft: Draft, position: Position | null): { body: ResultIn; photos: DraftPhoto[]; unusedPhotoIds: string[] } {
  const p = progress(items, draft)
  if (!p.complete) throw new Error(draft.status === 'unable' ? 'unable_reason_required' : 'incomplete')

  const body: ResultIn = {
    id: draft.resultId,
    status: draft.status,
    unable_reason: draft.status === 'unable' ? draft.unableReason.trim() : null,
    lat: position ? position.lat : null,
    lng: position ? position.lng : null,
    accuracy_m: position && position.accuracy != null ? Math.round(position.accuracy * 10) / 10 : null,
    answers: [],
  }
  const answers: NonNullable<ResultIn['answers']> = []
  body.answers = answers

  const photos: DraftPhoto[] = []
  const used = new Set<string>()
  if (draft.status === 'evaluated') {
    for (const it of items) {
      const a = draft.answers[it.code]
      const verdict = a.verdict as 'pass' | 'fail' | 'na' | 'unable'
      const note = a.note.trim()

      const out: NonNullable<ResultIn['answers']>[number] = { item_code: it.code, verdict }
      if (note) out.note = note
      if (verdict === 'fail') {
        out.occurrences = it.rule === 'all_or_nothing' ? 1 : a.occurrences
        out.photo_ids = a.photos.map((ph) => ph.id)
        for (const ph of a.photos) {
          photos.push(ph)
          used.add(ph.id)
        }
      }
      answers.push(out)
    }
  }
  const unusedPhotoIds = Object.values(draft.answers).flatMap((a) => (a.photos || []).map((ph) => ph.id)).filter((id) => !used.has(id))
  return { body, photos, unusedPhotoIds }
}

/**
 * The draft again editable after its queued submission was discarded from the outbox (null: none).
 */
export function reopened(draft: Draft | null): Draft | null {
  return draft && draft.queuedAt ? { ...draft, queuedAt: null } : null
}

/**
 * Where a site stands for the list: submitted (the server has it, or the outbox delivered it: a queued
 * item leaves the outbox only acknowledged, or discarded, which reopens the draft), queued (待上传: in the
 * outbox), draft (answers on the phone), or new.
 * @param queuedIds ids in the outbox
 */
export function siteState(mySite: { result_id?: string | null }, draft: Draft | null, queuedIds: Set<string>): 'submitted' | 'queued' | 'draft' | 'new' {
  if (mySite.result_id) return 'submitted'
  if (draft?.queuedAt) return queuedIds.has(draft.resultId) ? 'queued' : 'submitted'
  if (draft && (draft.status === 'unable' || Object.values(draft.answers).some((a) => a.verdict))) return 'draft'
  return 'new'
}
