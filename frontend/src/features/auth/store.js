/** Who is logged in. The token lives in localStorage so the app keeps working offline after a restart. */
import { defineStore } from 'pinia'
import { request, ApiError } from '../../api/client.js'

const KEY = 'xuncha.auth'
const LAST_USER = 'xuncha.lastUser'

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || {}
  } catch {
    return {}
  }
}

export const HOME_BY_ROLE = {
  inspector: '/capture',
  dispatcher: '/triage',
  unit_staff: '/tasks',
  leader: '/dashboard',
  admin: '/dashboard',
}

export const useAuthStore = defineStore('auth', {
  state: () => {
    const s = load()
    return {
      token: s.token || null,
      user: s.user || null,
      expiresAt: s.expiresAt || null,
      expired: false,
      lastUsername: localStorage.getItem(LAST_USER) || '',
    }
  },
  getters: {
    loggedIn: (s) => !!s.token && !!s.user,
    role: (s) => s.user?.role || null,
    home: (s) => HOME_BY_ROLE[s.user?.role] || '/tickets',
  },
  actions: {
    persist() {
      localStorage.setItem(KEY, JSON.stringify({ token: this.token, user: this.user, expiresAt: this.expiresAt }))
    },
    async login(username, password) {
      const form = new URLSearchParams({ username, password })
      const res = await fetch('/api/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form,
      }).catch((e) => {
        throw new ApiError(0, 'network_error', String(e))
      })
      const body = await res.json().catch(() => null)
      if (!res.ok) throw new ApiError(res.status, body?.error?.code || `http_${res.status}`, body?.error?.message)
      this.token = body.access_token
      this.user = body.user
      this.expiresAt = body.expires_at || null
      this.expired = false
      this.lastUsername = username
      localStorage.setItem(LAST_USER, username)
      this.persist()
    },
    async refreshMe() {
      if (!this.token) return
      try {
        this.user = await request('GET', '/api/me')
        this.persist()
      } catch {
        /* offline: keep the stored user */
      }
    },
    /** The server said 401: the token is gone. Queued data stays; the person logs in again. */
    markExpired() {
      this.expired = true
      this.token = null
      this.persist()
    },
    async logout() {
      try {
        await request('POST', '/api/auth/logout', { timeout: 5000 })
      } catch {
        /* offline or already revoked: forget it locally anyway */
      }
      this.token = null
      this.user = null
      this.expiresAt = null
      this.persist()
    },
  },
})
