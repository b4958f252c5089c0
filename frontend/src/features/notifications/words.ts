/**
 * What a message is about, for the reader's language. A message's words are written once, in Chinese, for
 * SMS and robots (its category name, 延期/回退/挂账, 挂账申请已批准); the codes beside them (`action`,
 * `category_code`) say the same. Messages stored before the codes existed are read from their Chinese words.
 */
export type RequestKind = 'extension' | 'return' | 'suspension'
export type Decision = { outcome: 'approved' | 'rejected' | 'reassigned', request: RequestKind }

const KIND_OF_WORD: Record<string, RequestKind> = { 延期: 'extension', 回退: 'return', 挂账: 'suspension' }
const KIND_OF_ACTION: Record<string, RequestKind> = {
  request_extension: 'extension', request_return: 'return', return: 'return', request_suspension: 'suspension',
}

type Data = Record<string, unknown> | null | undefined

/** The request a `request_waiting` message announces, or null when it names none this app knows. */
export function requestOf(data: Data): RequestKind | null {
  const action = String(data?.action ?? '')
  if (KIND_OF_ACTION[action]) return KIND_OF_ACTION[action]
  return KIND_OF_WORD[String(data?.request ?? '')] ?? null
}

/** The decision a `request_decided` message tells, or null when it names none this app knows. */
export function decisionOf(data: Data): Decision | null {
  const action = String(data?.action ?? '')
  if (action === 'reassign') return { outcome: 'reassigned', request: 'return' }
  const coded = /^(approve|reject)_(extension|return|suspension)$/.exec(action)
  if (coded) return { outcome: coded[1] === 'approve' ? 'approved' : 'rejected', request: coded[2] as RequestKind }
  const text = String(data?.decision ?? '')
  if (text === '回退申请已批准并改派') return { outcome: 'reassigned', request: 'return' }
  const worded = /^(延期|回退|挂账)申请(已批准|未批准)$/.exec(text)
  if (!worded) return null
  return { outcome: worded[2] === '已批准' ? 'approved' : 'rejected', request: KIND_OF_WORD[worded[1]] }
}
