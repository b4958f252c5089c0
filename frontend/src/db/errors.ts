/**
 * Errors of the phone's own storage (IndexedDB) in words a person can act on: the browser's own text
 * ("QuotaExceededError: The quota has been exceeded.") is English whatever the app's language.
 */
type Translate = (key: string, values?: Record<string, unknown>) => string

/** Whether `e` says the phone's storage is full (Chromium and Safari: QuotaExceededError; old Firefox: its own name). */
export function isStorageFull(e: unknown): boolean {
  const err = e as { name?: string; code?: number } | null
  const name = err?.name || ''
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || err?.code === 22
}

/**
 * The message for a failure of something saved on the phone first (a photo, a report, an action): storage full
 * and a write the phone did not keep get their own words; anything else, e.g. the server's refusal of an action
 * sent at once, its own message under `fallback` (an i18n key taking {msg}).
 */
export function localFailure(t: Translate, e: unknown, fallback = 'err.generic'): string {
  if (isStorageFull(e)) return t('err.storageFull')
  const message = (e as { message?: string } | null)?.message
  if (message === 'photo_write_verify_failed') return t('err.storageFailed')
  return t(fallback, { msg: message || String(e) })
}
