/**
 * Presentation only: the outbox queues a report as separate items (each photo, then the ticket) so a
 * broken connection costs one photo; a person thinks of it as one report. Group each ticket or action
 * with the photos it is waiting for. Sending is untouched (outbox.ts).
 */
export interface ItemGroup<T> { id: string; main: T; photos: T[]; photosTotal: number; photosDone: number }

export function groupItems<T extends { id: string; kind: string; photoIds?: string[] }>(items: T[]): ItemGroup<T>[] {
  const byId = new Map(items.map((i) => [i.id, i]))
  const claimed = new Set<string>()
  const groups: ItemGroup<T>[] = []
  for (const it of items) {
    if (it.kind === 'photo') continue
    const photos = (it.photoIds || []).map((id) => byId.get(id)).filter( (p): p is T => !!p && p.kind === 'photo')
    photos.forEach((p) => claimed.add(p.id))
    const total = (it.photoIds || []).length
    groups.push({ id: it.id, main: it, photos, photosTotal: total, photosDone: total - photos.length })
  }
  // A photo whose record is gone (discarded) or not queued yet still shows, on its own.
  for (const it of items) {
    if (it.kind === 'photo' && !claimed.has(it.id)) groups.push({ id: it.id, main: it, photos: [], photosTotal: 0, photosDone: 0 })
  }
  const order = new Map(items.map((i, n) => [i.id, n]))

  const at = (i: T) => order.get(i.id) ?? 0

  const first = (g: { main: T; photos: T[] }) => Math.min(at(g.main), ...g.photos.map(at))
  return groups.sort((a, b) => first(a) - first(b))
}
