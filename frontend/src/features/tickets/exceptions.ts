/**
 * Deadline exceptions on the phone: the 预超期 rule (the server's, mirrored for countdowns), and what each
 * exception action sends through the outbox (endpoint under /api/tickets/{id}/ and body). Pure: no Vue,
 * no HTTP, so it is unit-tested directly.
 */

export type NearDeadline = { fraction: number; hours: number} 

/** The server's defaults (XUNCHA_NEAR_DEADLINE_FRACTION / _HOURS) until /api/config answered. */
export const NEAR_DEADLINE_DEFAULT = Object.freeze({ fraction: 0.25, hours: 4 })

const HOUR = 3600000

/**
 * 预超期 as the server defines it: dispatched, not overdue, and the time left is at most
 * max(fraction × time given, min(hours, half the time given)), the time given being deadline − dispatched_at
 * (a ticket given 4 hours is not "nearly late" the moment it is dispatched). Without dispatched_at only the
 * hours apply.
 */
export function isNearDeadlineAt(t: { status?: string; deadline_at?: string | null; dispatched_at?: string | null }, rule: NearDeadline = NEAR_DEADLINE_DEFAULT, now = Date.now()) {
  if (!t || t.status !== 'dispatched' || !t.deadline_at) return false
  const deadline = new Date(t.deadline_at).getTime()
  if (Number.isNaN(deadline) || deadline <= now) return false // overdue, not "near"
  const hours = (rule?.hours ?? NEAR_DEADLINE_DEFAULT.hours) * HOUR
  if (!t.dispatched_at) return deadline - now <= hours
  // A share of the time given, or the hours once half of it is gone (Ticket.is_near_deadline_at)
  const given = Math.max(0, deadline - new Date(t.dispatched_at).getTime())
  const window = Math.max((rule?.fraction ?? NEAR_DEADLINE_DEFAULT.fraction) * given, Math.min(hours, given / 2))
  return deadline - now <= window
}

/**
 * The server's `near_deadline` flag, or the same rule on the phone (an offline copy may predate it).
 * Never for an overdue ticket.
 */
export function isNearDeadline(t: { status?: string; deadline_at?: string | null; dispatched_at?: string | null; near_deadline?: boolean; overdue?: boolean }, rule?: NearDeadline, now = Date.now()) {
  if (!t || t.status !== 'dispatched') return false
  if (t.deadline_at && new Date(t.deadline_at).getTime() <= now) return false
  return !!t.near_deadline || isNearDeadlineAt(t, rule, now)
}

/** The kinds of request a unit may file, and the workflow action of each. */
export const REQUEST_KINDS = ['extension', 'return', 'suspension'] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]
export const REQUEST_ACTION = { extension: 'request_extension', return: 'request_return', suspension: 'request_suspension' } as const

/**
 * The form each exception action shows: which fields, which are required. `text` is the free text field
 * the body carries (reason or note).
 */
export const EXCEPTION_FORMS: Record<string, { text: 'reason' | 'note'; textRequired: boolean; deadline?: 'required' | 'optional'; reviewAt?: 'required' | 'optional'; photos?: number }> = {
  request_extension: { text: 'reason', textRequired: true, deadline: 'required', photos: 9 },
  request_return: { text: 'reason', textRequired: true },
  request_suspension: { text: 'reason', textRequired: true, reviewAt: 'optional' },
  void: { text: 'reason', textRequired: true },
  urge: { text: 'note', textRequired: false },
  supervise: { text: 'note', textRequired: true },
  resume: { text: 'note', textRequired: false, deadline: 'optional' },
}

export function isExceptionAction(action: string | null | undefined) {
  return !!action && Object.prototype.hasOwnProperty.call(EXCEPTION_FORMS, action)
}

/**
 * What to queue for an exception action: the endpoint under /api/tickets/{id}/ and the body (without
 * action_id, which the outbox adds). Dates are ISO UTC strings or null. Throws a code on missing input.
 */
export function exceptionRequest(action: string, form: { text?: string; deadline?: string | null; reviewAt?: string | null; photoIds?: string[] }): { path: string; body: Record<string, unknown> } {
  const spec = EXCEPTION_FORMS[action]
  if (!spec) throw new Error(`unknown exception action ${action}`)
  const text = (form.text || '').trim()
  if (spec.textRequired && !text) throw codeError(spec.text === 'reason' ? 'reason_required' : 'note_required')
  if (spec.deadline === 'required' && !form.deadline) throw codeError('deadline_required')
  const kind = Object.entries(REQUEST_ACTION).find(([, a]) => a === action)?.[0]
  if (kind) {

    const body: Record<string, unknown> = { kind, reason: text }
    if (kind === 'extension') body.deadline = form.deadline
    if (kind === 'suspension' && form.reviewAt) body.review_at = form.reviewAt
    body.photo_ids = kind === 'extension' ? form.photoIds || [] : []
    return { path: 'requests', body }
  }

  const body: Record<string, unknown> = { [spec.text]: text || null }
  if (action === 'resume' && form.deadline) body.deadline = form.deadline
  return { path: action, body }
}

/**
 * A decision on a request: endpoint and body. Rejecting needs a note; approving a suspension a review
 * date; approving a return with a unit re-dispatches it (reassign).
 */
export function decisionRequest(req: { id: string; kind: string }, d: { approve: boolean; note?: string; deadline?: string | null; reviewAt?: string | null; unitId?: number | null }): { path: string; body: Record<string, unknown> } {
  const note = (d.note || '').trim()
  if (!d.approve && !note) throw codeError('note_required')

  const body: Record<string, unknown> = { approve: !!d.approve, note: note || null }
  if (d.approve) {
    if (req.kind === 'suspension') {
      if (!d.reviewAt) throw codeError('review_at_required')
      body.review_at = d.reviewAt
    }
    if (req.kind === 'extension' && d.deadline) body.deadline = d.deadline
    if (req.kind === 'return' && d.unitId) {
      body.unit_id = d.unitId
      if (d.deadline) body.deadline = d.deadline
    }
  }
  return { path: `requests/${encodeURIComponent(req.id)}/decision`, body }
}

/**
 * The suggested review date for approving a suspension: the one the unit proposed if still ahead,
 * otherwise 30 days from now.
 */
export function suggestedReviewAt(req: { requested_deadline?: string | null }, now = Date.now()) {
  const asked = req?.requested_deadline ? new Date(req.requested_deadline).getTime() : NaN
  if (!Number.isNaN(asked) && asked > now) return new Date(asked).toISOString()
  return new Date(now + 30 * 24 * HOUR).toISOString()
}

/**
 * Where the 申请延期 picker starts: a day after the current deadline, or after now when that has passed,
 * on the hour.
 */
export function suggestedExtension(deadlineAt: string | null | undefined, now = Date.now()) {
  const from = Math.max(deadlineAt ? new Date(deadlineAt).getTime() || 0 : 0, now)
  return new Date(Math.ceil((from + 24 * HOUR) / HOUR) * HOUR).toISOString()
}

/**
 * Marks a ticket card shows for exceptions, in order of urgency: 督办, 催办 ×N, 待审批, 预超期.
 */
export function exceptionMarks(t: {
    status?: string; pending_request?: string | null; urge_count?: number; supervised?: boolean; supervised_at?: string | null
    deadline_at?: string | null; dispatched_at?: string | null; near_deadline?: boolean; overdue?: boolean
  }, rule?: NearDeadline, now = Date.now()): { key: 'supervised' | 'urged' | 'pending' | 'near'; n?: number; kind?: string }[] {

  const out: { key: 'supervised' | 'urged' | 'pending' | 'near'; n?: number; kind?: string }[] = []
  // 督办 and 催办 press a unit while it has the ticket; once rectified or closed they are history (timeline).
  const pressing = t.status === 'dispatched' || t.status === 'suspended'
  if (pressing && (t.supervised || t.supervised_at)) out.push({ key: 'supervised' })
  if (pressing && t.urge_count) out.push({ key: 'urged', n: t.urge_count })
  if (t.pending_request) out.push({ key: 'pending', kind: t.pending_request })
  if (isNearDeadline(t, rule, now)) out.push({ key: 'near' })
  return out
}

function codeError(code: string) {
  return Object.assign(new Error(code), { code })
}
