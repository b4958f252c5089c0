import 'fake-indexeddb/auto'
import { describe, it, expect, beforeEach, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureClient, getCached } from '../src/api/client'
import { useAuthStore } from '../src/features/auth/store'
import { photoObjectUrl } from '../src/features/photos/photoUrls'
import { _resetDbForTests, DB_NAME } from '../src/db/index'

// A shared phone (an office's tablet, a handed-over device): what one person's session saw must not be shown
// to the next person who logs in on it, neither offline from the cache nor from the stored photos.

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const user = (id: number, role: string) => ({ id, username: `u${id}`, display_name: `U${id}`, role, unit_id: null })
const token = (id: number, role: string) => json(200, { access_token: `t${id}`, token_type: 'bearer', user: user(id, role) })

let server: (url: string, init: RequestInit) => Response | Promise<Response>

beforeEach(async () => {
  await _resetDbForTests()
  await new Promise((resolve) => { const r = indexedDB.deleteDatabase(DB_NAME); r.onsuccess = r.onerror = r.onblocked = resolve })
  localStorage.clear()
  setActivePinia(createPinia())
  const auth = useAuthStore()
  configureClient({ getToken: () => auth.token, unauthorized: () => auth.markExpired() })
  vi.stubGlobal('fetch', vi.fn((url: string, init: RequestInit) => Promise.resolve(server(String(url), init))))
  let n = 0
  URL.createObjectURL = vi.fn(() => `blob:test/${++n}`)
  URL.revokeObjectURL = vi.fn()
})

async function session(id: number, role: string, work: () => Promise<void>) {
  const auth = useAuthStore()
  server = () => token(id, role)
  await auth.login(`u${id}`, 'pw')
  await work()
  server = () => new Response(null, { status: 204 })
  await auth.logout()
}

describe('a second person on the same phone', () => {
  it('is not shown the first person\'s cached lists when offline', async () => {
    await session(1, 'inspector', async () => {
      server = () => json(200, { items: [{ id: 'secret-report' }], next_cursor: null })
      expect((await getCached('/api/tickets')).data.items[0].id).toBe('secret-report')
    })
    await session(2, 'unit_staff', async () => {
      server = () => { throw new TypeError('Failed to fetch') } // offline
      await expect(getCached('/api/tickets')).rejects.toMatchObject({ status: 0 })
    })
  })

  it('is not shown the first person\'s photos, which the server would refuse them', async () => {
    const url = '/api/photos/00000000-0000-4000-8000-000000000001/thumb'
    await session(1, 'inspector', async () => {
      server = () => new Response(new Uint8Array([0xff, 0xd8, 0xff]), { status: 200, headers: { 'content-type': 'image/jpeg' } })
      expect(await photoObjectUrl(url)).toMatch(/^blob:/)
    })
    await session(2, 'unit_staff', async () => {
      server = () => json(404, { error: { code: 'not_found', message: 'Photo not found' } })
      await expect(photoObjectUrl(url)).rejects.toMatchObject({ status: 404 })
    })
  })

  it('after a session that expired, is not shown what the previous person saw either', async () => {
    const auth = useAuthStore()
    server = () => token(1, 'dispatcher')
    await auth.login('u1', 'pw')
    server = () => json(200, { items: [{ id: 'office-only' }], next_cursor: null })
    await getCached('/api/tickets')
    auth.markExpired() // a 401: the token is gone, the person stays named on the login page
    server = () => token(2, 'unit_staff')
    await auth.login('u2', 'pw')
    server = () => { throw new TypeError('Failed to fetch') }
    await expect(getCached('/api/tickets')).rejects.toMatchObject({ status: 0 })
  })

  it('keeps the reference data everyone gets alike, so capturing offline still works', async () => {
    await session(1, 'inspector', async () => {
      server = () => json(200, [{ code: '07001', name_zh: '小广告' }])
      await getCached('/api/categories')
    })
    await session(2, 'inspector', async () => {
      server = () => { throw new TypeError('Failed to fetch') }
      expect((await getCached('/api/categories')).data[0].code).toBe('07001')
    })
  })

  it('the same person logging in again keeps their offline copies', async () => {
    const auth = useAuthStore()
    server = () => token(1, 'inspector')
    await auth.login('u1', 'pw')
    server = () => json(200, { items: [{ id: 'mine' }], next_cursor: null })
    await getCached('/api/tickets')
    auth.markExpired()
    server = () => token(1, 'inspector')
    await auth.login('u1', 'pw')
    server = () => { throw new TypeError('Failed to fetch') }
    expect((await getCached('/api/tickets')).data.items[0].id).toBe('mine')
  })
})

describe('the device token', () => {
  // Strangers' wrong passwords lock an account out for unknown devices only: the phone its owner logged in on
  // sends the token its last login answered, also after a logout and on a phone another person used since.
  const sent: URLSearchParams[] = []
  const answering = (id: number, deviceToken: string) => (_url: string, init: RequestInit) => {
    sent.push(new URLSearchParams(String(init.body)))
    return json(200, { access_token: `t${id}`, token_type: 'bearer', user: user(id, 'inspector'), device_token: deviceToken })
  }

  it('is kept per username across logout and sent with that username\'s next login', async () => {
    sent.length = 0
    const auth = useAuthStore()
    server = answering(1, 'nonce1.mac1')
    await auth.login('u1', 'pw')
    expect(sent[0].has('device_token')).toBe(false)
    server = () => new Response(null, { status: 204 })
    await auth.logout()
    server = answering(2, 'nonce2.mac2')
    await auth.login('u2', 'pw')
    expect(sent[1].has('device_token')).toBe(false) // u1's token is no help to u2, and not u2's to know
    server = () => new Response(null, { status: 204 })
    await auth.logout()
    server = answering(1, 'nonce3.mac3')
    await auth.login('u1', 'pw')
    expect(sent[2].get('device_token')).toBe('nonce1.mac1')
    auth.markExpired()
    server = (_url, init) => {
      sent.push(new URLSearchParams(String(init.body)))
      return json(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password' } })
    }
    await expect(auth.login('u1', 'typo')).rejects.toMatchObject({ status: 401 })
    expect(sent[3].get('device_token')).toBe('nonce3.mac3') // the newest answer replaced the old one
    server = answering(1, 'nonce4.mac4')
    await auth.login('u1', 'pw')
    expect(sent[4].get('device_token')).toBe('nonce3.mac3') // a failed login keeps it
  })

  it('is the same username\'s whatever case it is typed in (the server matches usernames regardless of case)', async () => {
    sent.length = 0
    const auth = useAuthStore()
    server = answering(1, 'nonce5.1.mac5')
    await auth.login('Inspector01', 'pw') // a keyboard capitalising the first letter
    server = answering(1, 'nonce6.1.mac6')
    await auth.login('inspector01', 'pw')
    expect(sent[1].get('device_token')).toBe('nonce5.1.mac5')
    server = answering(1, 'nonce7.1.mac7')
    await auth.login('INSPECTOR01', 'pw')
    expect(sent[2].get('device_token')).toBe('nonce6.1.mac6')
  })
})
