// @ts-check
/**
 * The one HTTP client of the app. Same-origin API under /api; bearer token in the header, never in
 * a URL. Errors come back as ApiError {status, code, message, details}; a network failure has status 0.
 */
import { cacheGet, cachePut } from '../db/index'

/** @typedef {import('./types').ErrorDetail} ErrorDetail */

/** @type {() => string | null} */
let tokenProvider = () => null
/** @type {(err: ApiError) => void} */
let onUnauthorized = () => {}

/** @param {{getToken?: () => string | null, unauthorized?: (err: ApiError) => void}} hooks */
export function configureClient({ getToken, unauthorized }) {
  if (getToken) tokenProvider = getToken
  if (unauthorized) onUnauthorized = unauthorized
}

/** An error answer of the API (its ErrorBody), or status 0 for a network failure. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} [message]
   * @param {unknown} [details]
   * @param {{retryAfterMs?: number | null, unfinished?: boolean}} [extra]
   */
  constructor(status, code, message, details, { retryAfterMs = null, unfinished = false } = {}) {
    super(message || code)
    this.status = status
    this.code = code
    this.details = details
    this.retryAfterMs = retryAfterMs // the server's Retry-After (503, 429), in ms
    this.unfinished = unfinished // we stopped waiting: the server may still be working on it
  }
  get isNetwork() {
    return this.status === 0
  }
}

/** @typedef {Record<string, unknown>} Query */

/** @param {Query | null | undefined} query */
export function buildQuery(query) {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v == null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x))
    else p.append(k, String(v))
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

const MAX_RETRY_AFTER_MS = 60 * 60 * 1000

/**
 * Retry-After as milliseconds from now: delay-seconds or an HTTP date; null when absent or unreadable.
 * @param {string | null | undefined} value
 * @returns {number | null}
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === '') return null
  const text = String(value).trim()
  let ms
  if (/^\d+$/.test(text)) ms = Number(text) * 1000
  else {
    const at = Date.parse(text)
    if (Number.isNaN(at)) return null
    ms = at - now
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms))
}

/** @param {Response} res */
async function parseError(res) {
  /** @type {import('./types').ErrorBody | null} */
  let body = null
  try {
    body = await res.json()
  } catch {
    /* not JSON */
  }
  /** @type {Partial<ErrorDetail>} */
  const e = body?.error || {}
  const retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'))
  return new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.details, { retryAfterMs })
}

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [json] a JSON body
 * @property {URLSearchParams | FormData} [form] a form body
 * @property {Query} [query]
 * @property {number} [timeout] ms
 * @property {boolean} [auth] send the bearer token (default true)
 */

/**
 * fetch with the bearer header and a timeout; returns parsed JSON (or null for 204, or the Response for
 * anything not JSON). Errors are ApiError.
 * @param {string} method
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, { json, form, query, timeout = 20000, auth = true } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' }
  const token = auth ? tokenProvider() : null
  if (token) headers.Authorization = `Bearer ${token}`
  let body
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(json)
  } else if (form) {
    body = form
  }
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), timeout)
  let res
  try {
    res = await fetch(path + buildQuery(query), { method, headers, body, signal: ctrl.signal, cache: 'no-store' })
  } catch (e) {
    const timedOut = e?.name === 'AbortError'
    throw new ApiError(0, 'network_error', timedOut ? 'timeout' : String(e?.message || e), undefined, { unfinished: timedOut })
  } finally {
    clearTimeout(timer)
  }
  if (!res.ok) {
    const err = await parseError(res)
    if (res.status === 401 && token) onUnauthorized(err)
    throw err
  }
  if (res.status === 204) return null
  const ct = res.headers.get('content-type') || ''
  return ct.includes('json') ? res.json() : res
}

/** @type {(path: string, opts?: RequestOptions) => Promise<any>} */
export const get = (path, opts) => request('GET', path, opts)
/** @type {(path: string, json: unknown, opts?: RequestOptions) => Promise<any>} */
export const post = (path, json, opts) => request('POST', path, { ...opts, json })

/**
 * @template T
 * @typedef {{data: T, fromCache: boolean, at: string}} Cached
 */

/**
 * Network first, last-seen copy when the network fails: the lists a person last saw stay readable
 * offline. Returns {data, fromCache, at}.
 * @param {string} path
 * @param {Query} [query]
 * @param {{cacheKey?: string}} [options]
 * @returns {Promise<Cached<any>>}
 */
export async function getCached(path, query, { cacheKey } = {}) {
  const key = cacheKey || path + buildQuery(query)
  try {
    const data = await get(path, { query, timeout: 12000 })
    cachePut(key, data).catch(() => {})
    return { data, fromCache: false, at: new Date().toISOString() }
  } catch (e) {
    if (e.status === 0 || e.status >= 500) {
      const hit = await cacheGet(key).catch(() => null)
      if (hit) return { data: hit.data, fromCache: true, at: hit.at }
    }
    throw e
  }
}

/**
 * Real reachability, not navigator.onLine: a tiny GET to the API.
 * @returns {Promise<boolean>}
 */
export async function ping(timeout = 5000) {
  try {
    const ctrl = new AbortController()
    const t = setTimeout(() => ctrl.abort(), timeout)
    const res = await fetch('/api/health', { cache: 'no-store', signal: ctrl.signal })
    clearTimeout(t)
    return res.ok
  } catch {
    return false
  }
}

/**
 * What the outbox's transport answers for one request: never thrown, always resolved.
 * @typedef {object} SendResult
 * @property {number} status HTTP status; 0 for a network failure or timeout
 * @property {any} [data] the answer (2xx)
 * @property {Partial<ErrorDetail>} [error] the ErrorBody's error (otherwise)
 * @property {number | null} [retryAfterMs]
 * @property {boolean} [unfinished] we stopped waiting: the server may still be working on it
 */

/**
 * Multipart upload through XHR (fetch has no upload progress). Resolves {status, data, error}; never
 * throws for HTTP errors; network failure → status 0.
 * @param {string} path
 * @param {FormData} formData
 * @param {((loaded: number, total: number | null) => void) | undefined} onProgress
 * @param {{timeout?: number}} [options]
 * @returns {Promise<SendResult>}
 */
export function uploadWithProgress(path, formData, onProgress, { timeout = 120000 } = {}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    const token = tokenProvider()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.timeout = timeout
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : null)
    xhr.onload = () => {
      let body = null
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        /* empty */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, data: body })
      else
        resolve({
          status: xhr.status,
          error: body?.error || { code: `http_${xhr.status}`, message: xhr.statusText },
          retryAfterMs: parseRetryAfter(xhr.getResponseHeader('Retry-After')),
        })
    }
    /** @type {(code: string, unfinished?: boolean) => () => void} */
    const fail = (code, unfinished = false) => () =>
      resolve({ status: 0, error: { code: 'network_error', message: code }, unfinished })
    xhr.onerror = fail('network error')
    xhr.ontimeout = fail('timeout', true)
    xhr.onabort = fail('aborted')
    xhr.send(formData)
  })
}

/**
 * JSON POST that resolves {status, data, error} instead of throwing (for the outbox transport).
 * @param {string} path
 * @param {unknown} json
 * @returns {Promise<SendResult>}
 */
export async function postForResult(path, json) {
  try {
    const data = await post(path, json, { timeout: 30000 })
    return { status: 200, data }
  } catch (e) {
    if (!(e instanceof ApiError)) return { status: 0, error: { code: 'network_error', message: String(e) } }
    return {
      status: e.status,
      error: { code: e.code, message: e.message, details: e.details },
      retryAfterMs: e.retryAfterMs,
      unfinished: e.unfinished,
    }
  }
}
