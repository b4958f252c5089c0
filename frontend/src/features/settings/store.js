/**
 * The deployment's public settings from GET /api/config: map tiles and their coordinate system (an
 * admin's setting for everyone, no longer per phone) and whether the demo logins work. The last answer
 * is kept in localStorage so maps and the login page work offline and draw at once on the next start.
 */
import { defineStore } from 'pinia'
import { request } from '../../api/client.js'

const KEY = 'xuncha.config'
const OLD_PER_DEVICE_KEY = 'xuncha.settings' // the former per-phone tile setting: ignored, removed

function cached() {
  try {
    localStorage.removeItem(OLD_PER_DEVICE_KEY)
    return JSON.parse(localStorage.getItem(KEY)) || null
  } catch {
    return null
  }
}

let inflight = null

export const useSettingsStore = defineStore('settings', {
  state: () => {
    const c = cached()
    return {
      loaded: !!c, // an answer (fresh or cached) is known
      layers: c?.map?.layers || [],
      crs: c?.map?.crs || 'wgs84',
      attribution: c?.map?.attribution || '',
      demoLogins: !!c?.demo_logins,
    }
  },
  actions: {
    /** Fetch the config (once per app start unless forced); offline, the cached copy stays. */
    load(force = false) {
      if (inflight && !force) return inflight
      inflight = request('GET', '/api/config', { auth: false, timeout: 10000 })
        .then((c) => {
          localStorage.setItem(KEY, JSON.stringify(c))
          Object.assign(this, { loaded: true, layers: c.map.layers, crs: c.map.crs, attribution: c.map.attribution, demoLogins: c.demo_logins })
        })
        .catch(() => {
          inflight = null // try again next time
        })
      return inflight
    },
  },
})
