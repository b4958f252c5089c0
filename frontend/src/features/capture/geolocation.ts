/**
 * Live position from the Geolocation API (primary source; EXIF is the server's fallback).
 * Watches until the accuracy is good enough, keeps the best fix seen, then stops to save battery.
 */
import { ref } from 'vue'

export const GOOD_ACCURACY_M = 30

export function useGeolocation() {
  const fix = ref(null) // {lat, lng, accuracy, at}
  const error = ref(null)
  let watchId = null
  let stopTimer = null

  function stop() {
    if (watchId != null) navigator.geolocation?.clearWatch(watchId)
    watchId = null
    clearTimeout(stopTimer)
  }

  function start() {
    stop()
    error.value = null
    if (!navigator.geolocation) {
      error.value = 'unsupported'
      return
    }
    watchId = navigator.geolocation.watchPosition(
      (p) => {
        const next = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy, at: new Date(p.timestamp).toISOString() }
        const fresh = !fix.value || Date.now() - new Date(fix.value.at).getTime() > 120000
        if (fresh || next.accuracy <= fix.value.accuracy) fix.value = next
        error.value = null
        if (next.accuracy <= GOOD_ACCURACY_M) {
          // Good enough: keep watching a little for an even better fix, then stop.
          clearTimeout(stopTimer)
          stopTimer = setTimeout(stop, 15000)
        }
      },
      (e) => {
        if (!fix.value) error.value = e.code === 1 ? 'denied' : 'unavailable'
      },
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 },
    )
  }

  return { fix, error, start, stop }
}
