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
let registration: ServiceWorkerRegistration | null = null
let lastCheck = 0
// An open app asks for a new version hourly and when it comes back to the screen (at most every 10 minutes):
// an office's desktop tab stays open for days, and a page's code of an old version is gone from the server.
const CHECK_EVERY_MS = 60 * 60 * 1000
const CHECK_ON_SHOW_AFTER_MS = 10 * 60 * 1000

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
      onRegisteredSW(_url, reg) {
        if (!reg) return
        registration = reg
        lastCheck = Date.now()
        setInterval(() => checkForUpdate(), CHECK_EVERY_MS)
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'visible' && Date.now() - lastCheck > CHECK_ON_SHOW_AFTER_MS) checkForUpdate()
        })
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

async function checkForUpdate() {
  if (!registration || !navigator.onLine) return
  lastCheck = Date.now()
  await registration.update().catch(() => {})
}

/** The installing version, once installed (its pages precached): null if none comes within `ms`. */
function installed(reg: ServiceWorkerRegistration, ms: number): Promise<ServiceWorker | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(reg.waiting), ms)
    const follow = (sw: ServiceWorker | null) => sw?.addEventListener('statechange', () => {
      if (sw.state === 'installed' || sw.state === 'redundant') {
        clearTimeout(timer)
        resolve(reg.waiting)
      }
    })
    if (reg.installing) follow(reg.installing)
    reg.addEventListener('updatefound', () => follow(reg.installing), { once: true })
  })
}

/**
 * A page's code failed to load while online: after a deployment the server has only the new version's
 * files, and this app (the old version, from its cache) asks for an old one; reloading does not help while the
 * old service worker serves the old shell. Fetch the new version and switch to it (after any sending ends).
 * False when there is no new version: the page failed for another reason.
 */
export async function updateForMissingPage(): Promise<boolean> {
  const reg = registration ?? (await navigator.serviceWorker?.getRegistration().catch(() => undefined)) ?? null
  if (!reg || !updateSW) return false
  if (!reg.waiting) {
    await reg.update().catch(() => {})
    if (!(await installed(reg, 20_000))) return false
  }
  await applyUpdate()
  return true
}

/** Apply the waiting version once nothing is being sent. */
export async function applyUpdate() {
  if (!updateSW) return
  updating.value = true
  const outbox = useOutboxStore()
  while (outbox.draining) await new Promise((r) => setTimeout(r, 300))
  needRefresh.value = false
  // workbox-window reloads on its own only for a version it saw arrive; one found by a later check of the same
  // page session (the hourly check, a missing page) is "external" to it, and nothing would reload.
  navigator.serviceWorker?.addEventListener('controllerchange', () => window.location.reload(), { once: true })
  await updateSW(true)
}

export async function promptInstall() {
  const e = installEvent.value
  if (!e) return
  e.prompt()
  await e.userChoice.catch(() => null)
  installEvent.value = null
}
