/**
 * WGS-84 → GCJ-02 for display on Chinese tile servers only. Coordinates are always stored and sent
 * as WGS-84 (what GPS gives); this is applied when drawing on a gcj02 map, and inverted (iteratively)
 * when a person drops a pin on such a map.
 */
const A = 6378245.0
const EE = 0.00669342162296594323

export function outOfChina(lat, lng) {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function tLat(x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return r
}
function tLng(x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return r
}

export function wgs84ToGcj02(lat, lng) {
  if (outOfChina(lat, lng)) return [lat, lng]
  let dLat = tLat(lng - 105.0, lat - 35.0)
  let dLng = tLng(lng - 105.0, lat - 35.0)
  const radLat = (lat / 180.0) * Math.PI
  let magic = Math.sin(radLat)
  magic = 1 - EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI)
  dLng = (dLng * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [lat + dLat, lng + dLng]
}

/** Inverse by fixed-point iteration (sub-centimetre after a few rounds). */
export function gcj02ToWgs84(lat, lng) {
  if (outOfChina(lat, lng)) return [lat, lng]
  let wLat = lat
  let wLng = lng
  for (let i = 0; i < 6; i++) {
    const [gLat, gLng] = wgs84ToGcj02(wLat, wLng)
    wLat += lat - gLat
    wLng += lng - gLng
  }
  return [wLat, wLng]
}

/** Convert a stored WGS-84 point to what the configured map expects. */
export function toDisplay(lat, lng, crs) {
  return crs === 'gcj02' ? wgs84ToGcj02(lat, lng) : [lat, lng]
}

export function fromDisplay(lat, lng, crs) {
  return crs === 'gcj02' ? gcj02ToWgs84(lat, lng) : [lat, lng]
}

/** Great-circle distance in metres between two WGS-84 points (haversine). */
export function distanceM(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a))
}

/** A short distance for a person: "350 米" under 1 km, "2.4 公里" above (keys vq.distanceM / distanceKm). */
export function distanceLabel(m, t) {
  return m < 1000 ? t('vq.distanceM', { d: Math.round(m / 10) * 10 }) : t('vq.distanceKm', { d: (m / 1000).toFixed(1) })
}

/**
 * Links that open a phone's map app at a stored (WGS-84) point: 高德 wants GCJ-02, 百度 converts from
 * WGS-84 itself (coord_type=wgs84), Apple Maps in China draws GCJ-02 too.
 */
export function navigationLinks(lat, lng, name = '') {
  const [gLat, gLng] = wgs84ToGcj02(lat, lng)
  const n = encodeURIComponent(name || `${lat.toFixed(5)},${lng.toFixed(5)}`)
  const f = (x) => x.toFixed(6)
  return {
    amap: `https://uri.amap.com/marker?position=${f(gLng)},${f(gLat)}&name=${n}&coordinate=gaode&callnative=1`,
    baidu: `https://api.map.baidu.com/marker?location=${f(lat)},${f(lng)}&title=${n}&content=${n}&output=html&coord_type=wgs84&src=webapp.xuncha`,
    apple: `https://maps.apple.com/?ll=${f(gLat)},${f(gLng)}&q=${n}`,
  }
}
