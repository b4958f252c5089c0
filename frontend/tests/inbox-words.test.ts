import { describe, expect, it } from 'vitest'
import { decisionOf, requestOf } from '../src/features/notifications/words'

describe('what a message is about, in any language', () => {
  it('reads the request from the event code, and from the Chinese word of older messages', () => {
    expect(requestOf({ action: 'request_suspension', request: '挂账' })).toBe('suspension')
    expect(requestOf({ action: 'return', request: '回退' })).toBe('return')
    expect(requestOf({ request: '延期' })).toBe('extension')
    expect(requestOf({ request: '别的' })).toBeNull()
    expect(requestOf(null)).toBeNull()
  })

  it('reads the decision from the event code, and from the Chinese text of older messages', () => {
    expect(decisionOf({ action: 'approve_extension', decision: '延期申请已批准' })).toEqual({ outcome: 'approved', request: 'extension' })
    expect(decisionOf({ action: 'reject_suspension' })).toEqual({ outcome: 'rejected', request: 'suspension' })
    expect(decisionOf({ action: 'reassign' })).toEqual({ outcome: 'reassigned', request: 'return' })
    expect(decisionOf({ decision: '回退申请未批准' })).toEqual({ outcome: 'rejected', request: 'return' })
    expect(decisionOf({ decision: '回退申请已批准并改派' })).toEqual({ outcome: 'reassigned', request: 'return' })
    expect(decisionOf({ decision: '一段别的话' })).toBeNull()
    expect(decisionOf({ action: 'approve_everything' })).toBeNull()
  })
})
