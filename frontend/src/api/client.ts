/**
 * The one HTTP client of the app. Same-origin API under /api; bearer token in the header, never in
 * a URL. Errors come back as ApiError {status, code, message, details}; a network failure has status 0.
 */
import { cacheGet, cachePut } from '../db/index'
import { messageInLanguage } from '../lib/language'

import type { ErrorBody, ErrorDetail } from './types'

let tokenProvider: () => string | null = () => null

let onUnauthorized: (err: ApiError) => void = () => {}

/** The message of a request that got no answer (the app's words, not the browser's "Failed to fetch"). */
let networkMessage: (timedOut: boolean, raw: string) => string = (timedOut, raw) => (timedOut ? 'timeout' : raw)

export function configureClient({ getToken, unauthorized, networkError }: {
  getToken?: () => string | null; unauthorized?: (err: ApiError) => void; networkError?: (timedOut: boolean) => string
}) {
  if (getToken) tokenProvider = getToken
  if (unauthorized) onUnauthorized = unauthorized
  if (networkError) networkMessage = (timedOut) => networkError(timedOut)
}

/** An error answer of the API (its ErrorBody), or status 0 for a network failure. */
export class ApiError extends Error {
  status: number
  code: string
  details: unknown
  retryAfterMs: number | null
  unfinished: boolean

  constructor(status: number, code: string, message?: string, details?: unknown, { retryAfterMs = null, unfinished = false }: { retryAfterMs?: number | null; unfinished?: boolean } = {}) {
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

export type Query = Record<string, unknown>

export function buildQuery(query: Query | null | undefined) {
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
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
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

async function parseError(res: Response) {

  let body: ErrorBody | null = null
  try {
    body = await res.json()
  } catch {
    /* not JSON */
  }

  const e: Partial<ErrorDetail> = body?.error || {}
  const retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'))
  // The server's message in the reader's language (it writes both).
  return new ApiError(res.status, e.code || `http_${res.status}`, e.message ? messageInLanguage(e.message) : res.statusText, e.details, { retryAfterMs })
}

export interface RequestOptions {
  json?: unknown
  form?: URLSearchParams | FormData
  query?: Query
  timeout?: number
  auth?: boolean
}

/**
 * fetch with the bearer header and a timeout; returns parsed JSON (or null for 204, or the Response for
 * anything not JSON). Errors are ApiError.
 */
export async function request(method: string, path: string, { json, form, query, timeout = 20000, auth = true }: RequestOptions = {}): Promise<any> {

  const headers: Record<string, string> = { Accept: 'application/json' }
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
    throw new ApiError(0, 'network_error', networkMessage(timedOut, String(e?.message || e)), undefined, { unfinished: timedOut })
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

export const get: (path: string, opts?: RequestOptions) => Promise<any> = (path, opts) => request('GET', path, opts)

export const post: (path: string, json: unknown, opts?: RequestOptions) => Promise<any> = (path, json, opts) => request('POST', path, { ...opts, json })

export type Cached<T> = { data: T; fromCache: boolean; at: string }

/**
 * Network first, last-seen copy when the network fails: the lists a person last saw stay readable
 * offline. Returns {data, fromCache, at}.
 */
export async function getCached<T = any>(path: string, query?: Query, { cacheKey }: { cacheKey?: string } = {}): Promise<Cached<T>> {
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
 */
export async function ping(timeout = 5000): Promise<boolean> {
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
 */
export interface SendResult {
  status: number
  data?: any
  error?: Partial<ErrorDetail>
  retryAfterMs?: number | null
  unfinished?: boolean
}

/**
 * Multipart upload through XHR (fetch has no upload progress). Resolves {status, data, error}; never
 * throws for HTTP errors; network failure → status 0.
 */
export function uploadWithProgress(path: string, formData: FormData, onProgress: ((loaded: number, total: number | null) => void) | undefined, { timeout = 120000 }: { timeout?: number } = {}): Promise<SendResult> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    const token = tokenProvider()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.timeout = timeout
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : null)
    xhr.onload = () => {
      let body: ErrorBody | null = null
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

    const fail: (code: string, unfinished?: boolean) => () => void = (code, unfinished = false): () => void => () =>
      resolve({ status: 0, error: { code: 'network_error', message: code }, unfinished })
    xhr.onerror = fail('network error')
    xhr.ontimeout = fail('timeout', true)
    xhr.onabort = fail('aborted')
    xhr.send(formData)
  })
}

/**
 * JSON POST that resolves {status, data, error} instead of throwing (for the outbox transport).
 */
export async function postForResult(path: string, json: unknown): Promise<SendResult> {
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
