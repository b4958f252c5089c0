/**
 * Service worker registration (prompt mode), persistent storage request and install prompt.
 * A waiting new version is activated only when the person taps "update", and never while the
 * outbox is sending: we wait for the drain to end first.
 */
import { ref } from 'vue'
import { registerSW } from 'virtual:pwa-register'
import { useOutboxStore } from '../outbox/store.js'

export const needRefresh = ref(false)
export const updating = ref(false)
export const persisted = ref(null)
export const installEvent = ref(null)
let updateSW = null

/** Register after the first screen is up, so precaching never competes with the first paint. */
export function setupPwa() {
  const go = () => (window.requestIdleCallback ? requestIdleCallback(register, { timeout: 4000 }) : setTimeout(register, 1500))
  if (document.readyState === 'complete') go()
  else window.addEventListener('load', go, { once: true })
}

function register() {
  if ('serviceWorker' in navigator) {
    updateSW = registerSW({
      immediate: true,
      onNeedRefresh() {
        needRefresh.value = true
      },
      onRegisterError(e) {
        console.warn('service worker registration failed', e)
      },
    })
  }
  if (navigator.storage?.persist) {
    navigator.storage.persisted().then((p) => (p ? true : navigator.storage.persist())).then(
      (p) => (persisted.value = p),
      () => (persisted.value = false),
    )
  }
  window.addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault()
    installEvent.value = e
  })
}

/** Apply the waiting version once nothing is being sent. */
export async function applyUpdate() {
  if (!updateSW) return
  updating.value = true
  const outbox = useOutboxStore()
  while (outbox.draining) await new Promise((r) => setTimeout(r, 300))
  needRefresh.value = false
  await updateSW(true)
}

export async function promptInstall() {
  const e = installEvent.value
  if (!e) return
  e.prompt()
  await e.userChoice.catch(() => null)
  installEvent.value = null
}
