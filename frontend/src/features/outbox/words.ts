/** Why an item of 待上传 is not sent yet, in the app's words: on the 待上传 page and on the ticket it is for. */
import { messageInLanguage } from '../../lib/language'

type Translate = (key: string, values?: Record<string, unknown>) => string

export function outboxErrorText(t: Translate, it: { kind?: string; lastError?: { status?: number; code?: string; message?: string; details?: any } | null }) {
  const e = it.lastError
  if (!e) return ''
  // No answer from the server: the words of the app's language, not the browser's "network error".
  if (!e.status) return t(e.message === 'timeout' ? 'err.timeout' : 'err.network')
  if (e.status === 409 && e.code === 'invalid_state') return t('outbox.invalidState', { s: t(`status.${e.details?.current_status}`) })
  if (e.status === 409 && it.kind === 'evalResult' && e.message) return messageInLanguage(e.message) // already submitted, round closed …
  if (e.status === 409) return t('outbox.conflict')
  // The server's own words (a photo it cannot read, a deadline in the past …), its code only when it has none.
  return (e.message && messageInLanguage(e.message)) || e.code || `HTTP ${e.status}`
}
