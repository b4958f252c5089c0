// @ts-check
/**
 * The deployment's public settings from GET /api/config that the app uses: map tiles, their coordinate
 * system and the map's centre, the city's time zone, the statuses in the loop's order, what each action's
 * request needs, and whether the demo logins work. The last answer is kept in localStorage so maps, dates
 * and the login page work offline and draw at once on the next start.
 */
import { defineStore } from 'pinia'
import { request } from '../../api/client'
import { setCityTimeZone } from '../../lib/time'
import { NEAR_DEADLINE_DEFAULT } from '../tickets/exceptions'

/** @typedef {import('../../api/types').PublicConfig} PublicConfig */
/** @typedef {import('../../api/types').Action} Action */
/** @typedef {import('../../api/types').ActionInput} ActionInput */

const KEY = 'xuncha.config'
const OLD_PER_DEVICE_KEY = 'xuncha.settings' // the former per-phone tile setting: ignored, removed

/** @returns {PublicConfig | null} */
function cached() {
  try {
    localStorage.removeItem(OLD_PER_DEVICE_KEY)
    return JSON.parse(localStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

/**
 * The store's state for a config answer (or for none yet).
 * @param {PublicConfig | null} c
 */
function fromConfig(c) {
  if (c?.time_zone) setCityTimeZone(c.time_zone)
  return {
    loaded: !!c, // an answer (fresh or cached) is known
    layers: c?.map?.layers || [],
    crs: c?.map?.crs || 'wgs84',
    attribution: c?.map?.attribution || '',
    /** @type {[number, number] | null} lat, lng (WGS-84) where a map opens without a position */
    centre: c?.map?.centre ? /** @type {[number, number]} */ ([c.map.centre.lat, c.map.centre.lng]) : null,
    demoLogins: !!c?.demo_logins,
    /** @type {PublicConfig['statuses']} */
    statuses: c?.statuses || [],
    /** @type {Partial<Record<Action, ActionInput>>} */
    actions: Object.fromEntries((c?.actions || []).map((a) => [a.action, a])),
    /** 预超期: the server's rule, so countdowns mark the tickets its lists mark */
    nearDeadline: nearDeadlineOf(c),
    /** 实地测评: beyond this distance from the site the phone warns (the server flags, never refuses) */
    checkinDistanceM: typeof c?.eval_checkin_distance_m === 'number' ? c.eval_checkin_distance_m : 200,
  }
}

/**
 * The 预超期 rule from the config; the server's defaults before it answered (or from an older server).
 * @param {PublicConfig | null} c
 * @returns {import('../tickets/exceptions').NearDeadline}
 */
function nearDeadlineOf(c) {
  const nd = /** @type {any} */ (c)?.near_deadline
  return nd && typeof nd.fraction === 'number' && typeof nd.hours === 'number' ? { fraction: nd.fraction, hours: nd.hours } : { ...NEAR_DEADLINE_DEFAULT }
}

/** @type {Promise<void> | null} */
let inflight = null

export const useSettingsStore = defineStore('settings', {
  state: () => fromConfig(cached()),
  actions: {
    /** Fetch the config (once per app start unless forced); offline, the cached copy stays. */
    load(force = false) {
      if (inflight && !force) return inflight
      inflight = request('GET', '/api/config', { auth: false, timeout: 10000 })
        .then((/** @type {PublicConfig} */ c) => {
          localStorage.setItem(KEY, JSON.stringify(c))
          Object.assign(this, fromConfig(c))
        })
        .catch(() => {
          inflight = null // try again next time
        })
      return inflight
    },
  },
})
