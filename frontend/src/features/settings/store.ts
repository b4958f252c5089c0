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

export type PublicConfig = import('../../api/types').PublicConfig
export type Action = import('../../api/types').Action
export type ActionInput = import('../../api/types').ActionInput

const KEY = 'xuncha.config'
const OLD_PER_DEVICE_KEY = 'xuncha.settings' // the former per-phone tile setting: ignored, removed

function cached(): PublicConfig | null {
  try {
    localStorage.removeItem(OLD_PER_DEVICE_KEY)
    return JSON.parse(localStorage.getItem(KEY) || 'null')
  } catch {
    return null
  }
}

/**
 * The store's state for a config answer (or for none yet).
 */
function fromConfig(c: PublicConfig | null) {
  if (c?.time_zone) setCityTimeZone(c.time_zone)
  return {
    loaded: !!c, // an answer (fresh or cached) is known
    layers: c?.map?.layers || [],
    crs: c?.map?.crs || 'wgs84',
    attribution: c?.map?.attribution || '',
    /** lat, lng (WGS-84) where a map opens without a position */
    centre: c?.map?.centre ? ([c.map.centre.lat, c.map.centre.lng] as [number, number]) : null,
    demoLogins: !!c?.demo_logins,

    statuses: (c?.statuses || []) as PublicConfig['statuses'],

    actions: Object.fromEntries((c?.actions || []).map((a) => [a.action, a])) as Partial<Record<Action, ActionInput>>,
    /** 预超期: the server's rule, so countdowns mark the tickets its lists mark */
    nearDeadline: nearDeadlineOf(c),
    /** How a category's limit becomes a deadline (app/tickets/deadlines.py): clock hours up to this many, longer
     * ones working days of `workingDayHours` */
    deadlineRule: {
      clockHoursUpTo: c?.deadlines?.clock_hours_up_to ?? 24,
      workingDayHours: c?.deadlines?.working_day_hours ?? 8,
    },
    /** 实地测评: beyond this distance from the site the phone warns (the server flags, never refuses) */
    checkinDistanceM: typeof c?.eval_checkin_distance_m === 'number' ? c.eval_checkin_distance_m : 200,
  }
}

/**
 * The 预超期 rule from the config; the server's defaults before it answered (or from an older server).
 */
function nearDeadlineOf(c: PublicConfig | null): import('../tickets/exceptions').NearDeadline {
  const nd = (c as any)?.near_deadline
  return nd && typeof nd.fraction === 'number' && typeof nd.hours === 'number' ? { fraction: nd.fraction, hours: nd.hours } : { ...NEAR_DEADLINE_DEFAULT }
}

let inflight: Promise<void> | null = null

export const useSettingsStore = defineStore('settings', {
  state: () => fromConfig(cached()),
  actions: {
    /** Fetch the config (once per app start unless forced); offline, the cached copy stays. */
    load(force = false) {
      if (inflight && !force) return inflight
      inflight = request('GET', '/api/config', { auth: false, timeout: 10000 })
        .then(( c: PublicConfig) => {
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
