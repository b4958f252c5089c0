/**
 * A screen that refreshes itself (the big screen, 一张图): `load` runs now and then every `everyMs` while the
 * page is visible. Hidden (another tab, a minimised window, a screen saver), nothing is fetched; shown again,
 * it refreshes at once if the last attempt is older than the interval. A refresh that fails keeps whatever the
 * page already shows (`load` only replaces data it received) and says so through `stale`; the next one tries
 * again. One refresh at a time: a slow one is never overtaken, the next is timed from its end.
 */
import { ref } from 'vue'

export const DEFAULT_EVERY_MS = 60000

/** What the refresher needs of `document` (a fake one in tests). */
export interface VisibilitySource {
  visibilityState: string
  addEventListener: (type: 'visibilitychange', fn: () => void) => void
  removeEventListener: (type: 'visibilitychange', fn: () => void) => void
}

/** `load` throws (rejects) when anything could not be refreshed. */
export function createRefresher(load: () => Promise<unknown>,
  { everyMs = DEFAULT_EVERY_MS, doc = document as VisibilitySource, now = () => Date.now() }:
  { everyMs?: number; doc?: VisibilitySource; now?: () => number } = {}) {
  /** When the last refresh that fully succeeded ended (ms since the epoch), null before the first one. */
  const lastOk = ref<number | null>(null)
  /** The last refresh failed (in part or whole): what is shown is older than it should be. */
  const stale = ref(false)
  const error = ref<unknown>(null)
  const busy = ref(false)
  let lastTry = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false

  const hidden = () => doc.visibilityState === 'hidden'
  function schedule(ms: number = everyMs) {
    clearTimeout(timer)
    timer = undefined
    if (running && !hidden()) timer = setTimeout(refresh, ms)
  }

  async function refresh() {
    if (busy.value) return
    clearTimeout(timer)
    busy.value = true
    lastTry = now()
    try {
      await load()
      lastOk.value = now()
      stale.value = false
      error.value = null
    } catch (e) {
      stale.value = true
      error.value = e
    } finally {
      busy.value = false
      schedule()
    }
  }

  function onVisibility() {
    if (!running) return
    if (hidden()) {
      clearTimeout(timer)
      timer = undefined
    } else if (!busy.value) {
      const due = lastTry + everyMs - now()
      if (due <= 0) refresh()
      else schedule(due)
    }
  }

  function start() {
    if (running) return
    running = true
    doc.addEventListener('visibilitychange', onVisibility)
    if (!hidden()) refresh()
  }

  function stop() {
    running = false
    clearTimeout(timer)
    timer = undefined
    doc.removeEventListener('visibilitychange', onVisibility)
  }

  return { lastOk, stale, error, busy, refresh, start, stop, isScheduled: () => timer !== undefined }
}
