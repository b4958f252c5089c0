/**
 * Service worker registration (prompt mode), whether the app is ready to start offline, persistent
 * storage request and install prompt.
 * A waiting new version is activated only when the person taps "update", and never while the
 * outbox is sending: we wait for the drain to end first.
 */
import { ref } from 'vue'
import { registerSW } from 'virtual:pwa-register'
import { useOutboxStore } from '../outbox/store'

export const needRefresh = ref(false)
export const updating = ref(false)
export const persisted = ref(null)
export const installEvent = ref(null)
/**
 * 'pending' until the service worker has precached the app shell, then 'ready' (the app starts without
 * a network); 'unsupported' where there is no service worker. `justReady`: it became ready just now.
 */
export const offlineState = ref('pending')
export const justReady = ref(false)
let updateSW = null

/**
 * Register at once on the first load (not after login, not when idle): every second the shell is not yet
 * cached is a second in which losing the network means the app cannot start again.
 */
export function setupPwa() {
  register()
}

function markReady() {
  if (offlineState.value === 'ready') return
  offlineState.value = 'ready'
  justReady.value = true
  setTimeout(() => (justReady.value = false), 6000)
}

function register() {
  if ('serviceWorker' in navigator) {
    // An active worker has finished installing, i.e. precaching the whole shell.
    if (navigator.serviceWorker.controller) offlineState.value = 'ready'
    navigator.serviceWorker.ready.then(markReady, () => {})
    updateSW = registerSW({
      immediate: true,
      onOfflineReady: markReady,
      onNeedRefresh() {
        needRefresh.value = true
      },
      onRegisterError(e) {
        offlineState.value = 'unsupported'
        console.warn('service worker registration failed', e)
      },
    })
  } else {
    offlineState.value = 'unsupported'
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
