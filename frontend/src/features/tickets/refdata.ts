/** Categories and units: fetched once per session, last copy kept for offline use. */
import { defineStore } from 'pinia'
import { listCategories, listUnits } from './api'

export type CategoryPublic = import('../../api/types').CategoryPublic
export type UnitPublic = import('../../api/types').UnitPublic

export const useRefDataStore = defineStore('refdata', {
  state: () => ({

    categories: [] as CategoryPublic[],

    units: [] as UnitPublic[],
    loaded: false,

    loading: null as Promise<void> | null,
  }),
  getters: {
    level1: (s) => s.categories.filter((c) => !c.parent_code),
    childrenOf: (s) => (code) => s.categories.filter((c) => c.parent_code === code),
    byCode: (s) => Object.fromEntries(s.categories.map((c) => [c.code, c])),
    unitById: (s) => Object.fromEntries(s.units.map((u) => [u.id, u])),
  },
  actions: {
    async load(force = false) {
      if (this.loaded && !force) return
      if (this.loading) return this.loading
      this.loading = (async () => {
        try {
          const [c, u] = await Promise.allSettled([listCategories(), listUnits()])
          if (c.status === 'fulfilled') this.categories = c.value.data
          if (u.status === 'fulfilled') this.units = u.value.data
          this.loaded = c.status === 'fulfilled'
        } finally {
          this.loading = null
        }
      })()
      return this.loading
    },
  },
})
