/** Who is logged in. The token lives in localStorage so the app keeps working offline after a restart. */
import { wide } from '../../lib/desktop'
import { defineStore } from 'pinia'
import { request } from '../../api/client'
import { clearFetched } from '../../db/index'
import { forgetPhotoUrls } from '../photos/photoUrls'

const KEY = 'xuncha.auth'
const LAST_USER = 'xuncha.lastUser'
// Whose session filled the offline copies (cached responses, photos): another person's login starts afresh.
const FETCHED_FOR = 'xuncha.fetchedFor'
// Each username's device token (its last login here answered it): sent with its next login, so strangers'
// wrong passwords for the account never lock it out on this device. Kept through logout and the clearing of
// offline copies: it says only that this username logged in here.
const DEVICES = 'xuncha.deviceTokens'
// Keyed by the lowercased username: the server matches usernames regardless of case, so `Inspector01` (a
// keyboard capitalising the first letter) and `inspector01` are one account, whose token is valid for both.
const deviceKey = (username: string) => username.toLowerCase()

function deviceTokens(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(DEVICES) || 'null') || {}
  } catch {
    return {}
  }
}

async function forgetFetched() {
  forgetPhotoUrls()
  localStorage.removeItem(FETCHED_FOR)
  await clearFetched().catch(() => {})
}

export type UserPublic = import('../../api/types').UserPublic
export type Role = import('../../api/types').Role

function load(): { token?: string; user?: UserPublic; expiresAt?: string } {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null') || {}
  } catch {
    return {}
  }
}

export const HOME_BY_ROLE: Record<Role, string> = {
  inspector: '/capture',
  dispatcher: '/triage',
  unit_staff: '/tasks',
  leader: '/dashboard',
  admin: '/admin',
}

export const useAuthStore = defineStore('auth', {
  state: () => {
    const s = load()
    return {

      token: (s.token || null) as string | null,

      user: (s.user || null) as UserPublic | null,

      expiresAt: (s.expiresAt || null) as string | null,
      expired: false,
      lastUsername: localStorage.getItem(LAST_USER) || '',
    }
  },
  getters: {
    loggedIn: (s) => !!s.token && !!s.user,
    role: (s) => s.user?.role || null,
    home: (s) => {
      if (!s.user) return '/tickets'
      // At a desk the dispatcher's first screen is the 工作台 (list, map and batch dispatch), not the phone's 分拨.
      if (s.user.role === 'dispatcher' && wide.value) return '/workbench'
      return HOME_BY_ROLE[s.user.role] || '/tickets'
    },
  },
  actions: {
    persist() {
      localStorage.setItem(KEY, JSON.stringify({ token: this.token, user: this.user, expiresAt: this.expiresAt }))
    },
    /** @param username @param password */
    async login(username: string, password: string) {

      const form = new URLSearchParams({ username, password })
      const devices = deviceTokens()
      const device = deviceKey(username)
      if (devices[device]) form.set('device_token', devices[device])
      const body: import('../../api/types').TokenResponse = await request('POST', '/api/auth/token', { form, auth: false })
      if (body.device_token) localStorage.setItem(DEVICES, JSON.stringify({ ...devices, [device]: body.device_token }))
      if (localStorage.getItem(FETCHED_FOR) !== String(body.user.id)) await forgetFetched()
      localStorage.setItem(FETCHED_FOR, String(body.user.id))
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
      await forgetFetched()
    },
  },
})
