/** Per-device settings: map tiles and their coordinate system. */
import { defineStore } from 'pinia'

export const TILE_PRESETS = [
  { key: 'osm', name: 'OpenStreetMap', url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', crs: 'wgs84' },
  { key: 'amap', name: '高德 AMap', url: 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}', crs: 'gcj02', subdomains: '1234' },
  { key: 'none', name: '无底图 / none', url: '', crs: 'wgs84' },
]

const KEY = 'xuncha.settings'

export const useSettingsStore = defineStore('settings', {
  state: () => {
    let s = {}
    try {
      s = JSON.parse(localStorage.getItem(KEY)) || {}
    } catch {
      /* ignore */
    }
    return {
      tileUrl: s.tileUrl ?? TILE_PRESETS[0].url,
      crs: s.crs || 'wgs84',
      subdomains: s.subdomains || 'abc',
    }
  },
  actions: {
    save() {
      localStorage.setItem(KEY, JSON.stringify({ tileUrl: this.tileUrl, crs: this.crs, subdomains: this.subdomains }))
    },
    usePreset(p) {
      this.tileUrl = p.url
      this.crs = p.crs
      this.subdomains = p.subdomains || 'abc'
      this.save()
    },
  },
})
