/**
 * The workbench's filters: their empty state, the list query they make (GET /api/tickets), and the saved
 * filters a dispatcher keeps in this browser (localStorage, one list per user).
 */
import { cityOffsetMs } from '../../lib/time'

export type Filters = {
  status: string; unit: number; category: string; grid: number; district: number
  deadline: string; from: string; to: string; origin: string; q: string; sort: string
}

export type SavedFilter = { name: string; filters: Filters} 

export function emptyFilters(): Filters {
  return { status: 'reported', unit: 0, category: '', grid: 0, district: 0, deadline: '', from: '', to: '', origin: '', q: '', sort: '-reported_at' }
}

/** The sorts the API offers (GET /api/tickets `sort`), by column. */
export const SORTABLE = {
  reported_at: ['-reported_at', 'reported_at'],
  deadline_at: ['deadline_at'],
  updated_at: ['-updated_at'],
}

/**
 * A date (yyyy-mm-dd) in the city as the instant its day starts; `next`: the next day's start.
 */
export function cityDay(day: string, next: boolean = false) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + (next ? 86400000 : 0) - cityOffsetMs()).toISOString()
}

/**
 * The list query of these filters.
 */
export function toQuery(f: Filters): Record<string, string | number | boolean | null> {
  return {
    status: f.status || null,
    unit_id: f.unit || null,
    category_code: f.category || null,
    grid_id: f.grid || null,
    district_id: f.district || null,
    overdue: f.deadline === 'overdue' ? true : null,
    due_within_hours: f.deadline && f.deadline !== 'overdue' ? Number(f.deadline) : null,
    reported_after: f.from ? cityDay(f.from) : null,
    reported_before: f.to ? cityDay(f.to, true) : null,
    origin: f.origin || null,
    q: f.q.trim() || null,
    sort: f.sort,
  }
}

const key = ( userId: number | string) => `xuncha.workbench.filters.${userId}`

export function loadSaved(userId: number | string): SavedFilter[] {
  try {
    const list = JSON.parse(localStorage.getItem(key(userId)) || '[]')
    return Array.isArray(list) ? list.filter((s) => s && typeof s.name === 'string' && s.filters).map((s) => ({ name: s.name, filters: { ...emptyFilters(), ...s.filters } })) : []
  } catch {
    return []
  }
}

/**
 * Saves (or replaces, by name) a filter; answers the new list.
 */
export function saveFilter(userId: number | string, name: string, filters: Filters): SavedFilter[] {
  const list = loadSaved(userId).filter((s) => s.name !== name)
  list.push({ name, filters: { ...filters } })
  localStorage.setItem(key(userId), JSON.stringify(list))
  return list
}

export function deleteFilter(userId: number | string, name: string): SavedFilter[] {
  const list = loadSaved(userId).filter((s) => s.name !== name)
  localStorage.setItem(key(userId), JSON.stringify(list))
  return list
}

/**
 * Selection after a click on row `index`: shift extends from the anchor (all of the range take the clicked
 * row's new state), otherwise the row toggles. Answers the new set of ids.
 * @param ids the rows in order
 */
export function toggleRows(selected: Set<string>, ids: string[], index: number, anchor: number | null, shift: boolean) {
  const out = new Set(selected)
  const on = !out.has(ids[index])
  const [a, b] = shift && anchor != null ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index]
  for (let i = a; i <= b; i++) {
    if (on) out.add(ids[i])
    else out.delete(ids[i])
  }
  return out
}
