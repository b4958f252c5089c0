// @ts-check
/** Categories and units: fetched once per session, last copy kept for offline use. */
import { defineStore } from 'pinia'
import { listCategories, listUnits } from './api'

/**
 * @typedef {import('../../api/types').CategoryPublic} CategoryPublic
 * @typedef {import('../../api/types').UnitPublic} UnitPublic
 */

export const useRefDataStore = defineStore('refdata', {
  state: () => ({
    /** @type {CategoryPublic[]} */
    categories: [],
    /** @type {UnitPublic[]} */
    units: [],
    loaded: false,
    /** @type {Promise<void> | null} */
    loading: null,
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
