/**
 * What a page that could not load says: offline with no copy of it on this phone yet (a network error read as
 * "操作失败：网络不可用", as if the reader had done something wrong), or why the server refused.
 */
type Translate = (key: string, values?: Record<string, unknown>) => string

export function loadFailure(t: Translate, e: unknown): string {
  const err = e as { status?: number; message?: string } | null
  if (err?.status === 0) return t('err.offlineNoCopy')
  return t('err.loadFailed', { msg: err?.message || String(e) })
}
