/**
 * Pinia face of the outbox engine: what the pages show (items, states, progress) and the calls they
 * make (queue a ticket or an action, send now, export). Sending is triggered on app start, `online`,
 * the tab becoming visible, another tab's change (BroadcastChannel), and the "send now" button.
 */
import { defineStore } from 'pinia'
import { markRaw } from 'vue'
import { createOutbox, blockedBy, STATE } from './outbox'
import { groupItems, type ItemGroup } from './groups'
import { idbOutboxStorage } from './storage'
import { httpTransport } from './transport'
import { getBlob } from '../../db/index'
import { ping } from '../../api/client'
import { useAuthStore } from '../auth/store'
import { uuid4 } from '../../lib/uuid'

export type OutboxItem = import('./outbox').OutboxItem
export type NewItem = import('./outbox').NewItem
export type ActionItem = import('./outbox').ActionItem
export type ActionBodies = import('../../api/types').ActionBodies
export type ActionEndpoint = import('../../api/types').ActionEndpoint
export type TicketCreate = import('../../api/types').TicketCreate
export type QueuedPhoto = { id: string; meta?: { lat?: number; lng?: number; captured_at?: string} } 
export type Outcome = 'sent' | 'saved' | 'attention'

let engine: ReturnType<typeof createOutbox> | null = null

let channel: BroadcastChannel | null = null

const ackListeners: Set<(item: OutboxItem, data: any) => void> = new Set()

const outcomeWaiters: Map<string, (outcome: Outcome) => void> = new Map() // item id → resolve('sent' | 'saved' | 'attention')
const OUTCOME_WAIT_MS = 8000

/** The engine, once `init` has started it. */
function running() {
  if (!engine) throw new Error('outbox not started: call init() first')
  return engine
}

/** @param id @param result */
function settle(id: string, result: Outcome) {
  outcomeWaiters.get(id)?.(result)
  outcomeWaiters.delete(id)
}

/**
 * Subscribe to acknowledged items (e.g. refresh a ticket when its action went through).
 */
export function onAcked(fn: (item: OutboxItem, data: any) => void) {
  ackListeners.add(fn)
  return () => ackListeners.delete(fn)
}

export const useOutboxStore = defineStore('outbox', {
  state: () => ({

    items: [] as OutboxItem[],

    sendingId: null as string | null,

    progress: {} as Record<string, { loaded: number; total: number | null }>,
    reachable: true,
    draining: false,

    lastAckAt: null as string | null,
    initialized: false,
  }),
  getters: {
    /**
     * What this person queued. A shared phone keeps another account's unsent items for that person to send
     * after logging in again; nobody else sees their text or photos, exports them, retries or discards them.
     */
    mine: (s): OutboxItem[] => {
      const me = useAuthStore().user?.username
      return s.items.filter((i) => isMine(i, me))
    },
    /** Reports and actions waiting, as a person counts them (a report's photos are part of it). */
    count(): number {
      return groupItems(this.mine).length
    },
    /** Reports and actions of other accounts still on this phone (only how many). */
    othersCount: (s) => {
      const me = useAuthStore().user?.username
      return groupItems(s.items.filter((i) => !isMine(i, me))).length
    },
    attentionCount(): number {
      return this.mine.filter((i) => i.state === STATE.ATTENTION).length
    },
    blocked: (s) => blockedBy(s.items),
    /** What the outbox page lists: one entry per report or action, its photos inside. */
    groups(): ItemGroup<OutboxItem>[] {
      return groupItems(this.mine)
    },
    /** Queued ticket ids and action items per ticket (so detail pages can show "saved on this phone"). */
    pendingForTicket(): (ticketId: string) => OutboxItem[] {
      return (ticketId) => this.mine.filter((i) => i.ticketId === ticketId && i.kind !== 'photo')
    },
  },
  actions: {
    async init() {
      if (this.initialized) return
      this.initialized = true
      const auth = useAuthStore()
      engine = markRaw(
        createOutbox({
          storage: idbOutboxStorage,
          transport: httpTransport,
          currentOwner: () => auth.user?.username || null,
        }),
      )
      engine.on((e) => this.onEvent(e))
      if ('BroadcastChannel' in window) {
        channel = new BroadcastChannel('xuncha-outbox')
        channel.onmessage = () => {
          this.refresh()
          this.kick()
        }
      }
      window.addEventListener('online', () => {
        this.checkReachable()
        this.kick()
      })
      window.addEventListener('offline', () => (this.reachable = false))
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') this.kick()
      })
      // Safety net: the engine schedules its own retries, this only catches missed wake-ups.
      setInterval(() => this.kick(), 60_000)
      await this.refresh()
      this.checkReachable()
      this.kick()
    },
    /** navigator.onLine lies (captive portals, "connected" without data): ask the API itself. */
    async checkReachable() {
      this.reachable = await ping()
      return this.reachable
    },
    async refresh() {
      if (!engine) return
      this.items = await engine.list()
    },
    onEvent(e) {
      switch (e.type) {
        case 'sending':
          this.sendingId = e.id
          this.progress = { ...this.progress, [e.id]: { loaded: 0, total: null } }
          break
        case 'progress':
          this.progress = { ...this.progress, [e.id]: { loaded: e.loaded, total: e.total } }
          break
        case 'acked':
          this.reachable = true
          this.lastAckAt = new Date().toISOString()
          for (const fn of ackListeners) fn(e.item, e.data)
          settle(e.id, 'sent')
          break
        case 'attention':
          settle(e.id, 'attention')
          break
        case 'failed':
        case 'unreachable':
          this.reachable = e.type === 'failed' ? e.error?.status !== 0 : false
          break
        case 'auth-required':
          useAuthStore().markExpired()
          break
        case 'drain-start':
          this.draining = true
          break
        case 'drain-end':
          this.draining = false
          // Whatever this drain did not send stays saved on the phone for a later attempt.
          for (const id of [...outcomeWaiters.keys()]) settle(id, 'saved')
          if (!this.reachable && !this.items.length) this.checkReachable()
          this.sendingId = null
          this.refresh()
          break
        case 'changed':
          this.sendingId = running().sendingId
          this.refresh()
          channel?.postMessage('changed')
          break
      }
    },
    /** Try to send (no-op when nothing is due or another tab is sending). */
    kick() {
      if (!engine || !useAuthStore().token) return
      engine.drain()
    },
    async sendNow() {
      if (!engine) return
      this.reachable = await ping()
      engine.resume()
      await engine.drain({ force: true })
      await this.refresh()
    },
    async retry(id) {
      if (!this.mine.some((i) => i.id === id)) return // another account's: theirs to decide
      await running().retry(id)
      this.kick()
    },
    async discard(id) {
      if (!this.mine.some((i) => i.id === id)) return
      await running().discard(id)
    },

    /**
     * Queue a new report: its photos (bytes already stored) first, then the ticket.
     */
    async queueTicket({ id, body, photos, label }: { id: string; body: TicketCreate; photos: QueuedPhoto[]; label?: string }) {

      const items: NewItem[] = photos.map((p) => ({ id: p.id, kind: 'photo' as const, meta: p.meta, label: label }))
      items.push({ id, kind: 'ticket', ticketId: id, photoIds: photos.map((p) => p.id), body, label })
      await running().enqueue(plain(items))
      await this.refresh()
      this.kick()
    },

    /**
     * Queue a workflow action (dispatch/return/rectify/verify/cancel), with its photos if any.
     * Answers its id and `outcome`: 'sent' once the server acknowledged it, 'attention' on a conflict,
     * 'saved' when it stays queued (offline, failed, or no answer within a few seconds).
     */
    async queueAction<A extends ActionEndpoint>({ ticketId, action, body, photos = [], label }: {
        ticketId: string; action: A; body: Omit<ActionBodies[A], 'action_id'> & { action_id?: string }
        photos?: QueuedPhoto[]; label?: string
      }): Promise<{ actionId: string; outcome: Promise<Outcome> }> {
      const actionId = body.action_id || uuid4()

      const items: NewItem[] = photos.map((p) => ({ id: p.id, kind: 'photo' as const, meta: p.meta, label }))
      // The body's type follows the action (A); TypeScript cannot narrow a generic union, hence the cast.
      items.push({
        id: actionId,
        kind: 'action',
        action,
        ticketId,
        photoIds: photos.map((p) => p.id),
        body: { ...body, action_id: actionId },
        label,
      } as unknown as ActionItem)
      await running().enqueue(plain(items))
      await this.refresh()
      // Wait from here, with no await before kick(): an earlier drain's end must not answer for this item.
      const outcome = new Promise<Outcome>((resolve) => {
        outcomeWaiters.set(actionId, resolve)
        setTimeout(() => settle(actionId, 'saved'), OUTCOME_WAIT_MS)
      })
      this.kick()
      return { actionId, outcome }
    },

    /**
     * Queue a site's evaluation: its photos (bytes already stored) first, then the result, all in one
     * IndexedDB transaction. The result's id is the draft's UUID, so a resend is the same submission.
     * `photos` are those still to upload: a photo the result names but that is not among them (sent before
     * its result was discarded from the outbox and submitted again) is already on the server.
     */
    async queueEvalResult({ roundId, siteId, body, photos, label }: { roundId: number; siteId: number; body: import('../../api/types').ResultIn; photos: QueuedPhoto[]; label?: string }) {

      const items: NewItem[] = photos.map((p) => ({ id: p.id, kind: 'photo' as const, meta: p.meta, label }))
      const photoIds = (body.answers || []).flatMap((a) => a.photo_ids || [])
      items.push({ id: body.id, kind: 'evalResult', roundId, siteId, photoIds, body, label })
      await running().enqueue(plain(items))
      await this.refresh()
      this.kick()
    },

    /** Everything not yet acknowledged, photos inlined as base64, as a downloadable JSON file. */
    async exportUnsent() {
      const me = useAuthStore().user?.username
      const items = (await running().list()).filter((i) => isMine(i, me))
      const out: Record<string, unknown>[] = []
      for (const it of items) {

        const rec: Record<string, unknown> = { ...it }
        if (it.kind === 'photo') {
          const b = await getBlob(it.id)
          if (b) rec.photo = { type: b.type, size: b.bytes.byteLength, base64: toBase64(b.bytes) }
        }
        out.push(rec)
      }
      const auth = useAuthStore()
      const doc = {
        format: 'xuncha-outbox-export/1',
        exported_at: new Date().toISOString(),
        user: auth.user?.username || null,
        items: out,
      }
      const blob = new Blob([JSON.stringify(doc, null, 1)], { type: 'application/json' })
      const a = document.createElement('a')
      a.href = URL.createObjectURL(blob)
      a.download = `xuncha-unsent-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
      document.body.appendChild(a)
      a.click()
      setTimeout(() => {
        URL.revokeObjectURL(a.href)
        a.remove()
      }, 1000)
      return out.length
    },
  },
})

/** Queued by this account; items from before owners were kept, and any item while nobody is known, count as anyone's. */
function isMine(item: OutboxItem, me: string | undefined): boolean {
  return !me || !item.owner || item.owner === me
}

/** Reactive proxies cannot be stored in IndexedDB: queue plain JSON data only. */
function plain(x) {
  return JSON.parse(JSON.stringify(x))
}

function toBase64(buf) {
  const bytes = new Uint8Array(buf)
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  return btoa(s)
}
