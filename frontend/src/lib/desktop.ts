/** Whether the window is desktop-wide (≥ 1024 px), kept current as it is resized. */
import { ref } from 'vue'

export const DESKTOP_QUERY = '(min-width: 1024px)'
const mq = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(DESKTOP_QUERY) : null
export const wide = ref(!!mq?.matches)
mq?.addEventListener?.('change', (e) => (wide.value = e.matches))

/** The office's roles get the desktop layout on a wide screen; field roles keep the phone's. */
export const DESKTOP_ROLES = ['dispatcher', 'leader', 'admin']
