import { describe, expect, it } from 'vitest'
import { i18n } from '../src/i18n'
import '../src/features/evaluation/i18n' // the features merge their words into the app's i18n
import '../src/features/admin/i18n'

const t = i18n.global.t
i18n.global.locale.value = 'en'

describe('counts of sites read right in either language', () => {
  it('says 1 site, 2 sites and 0 sites in English (the round page said "1 sites")', () => {
    expect(t('ev.siteCount', { n: 1 }, 1)).toBe('1 site')
    expect(t('ev.siteCount', { n: 2 }, 2)).toBe('2 sites')
    expect(t('ev.siteCount', { n: 0 }, 0)).toBe('0 sites')
    expect(t('ev.sitesTotal', { n: 1 }, 1)).toBe('1 site')
    expect(t('admin.sites.count', { n: 1 }, 1)).toBe('1 site')
  })
  it('keeps the one Chinese form whatever the count', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(t('ev.siteCount', { n: 1 }, 1)).toBe('1 个点位')
    expect(t('ev.siteCount', { n: 5 }, 5)).toBe('5 个点位')
    i18n.global.locale.value = 'en'
  })
})

describe('possible duplicates on a ticket card', () => {
  it('reads 1 possible duplicate, 2 possible duplicates, and the list cap as 100+', () => {
    expect(t('ticket.duplicateCount', { n: 1 }, 1)).toBe('1 possible duplicate')
    expect(t('ticket.duplicateCount', { n: 2 }, 2)).toBe('2 possible duplicates')
    expect(t('ticket.duplicateCount', { n: '100+' }, 100)).toBe('100+ possible duplicates')
    i18n.global.locale.value = 'zh-CN'
    expect(t('ticket.duplicateCount', { n: '100+' }, 100)).toBe('疑似重复 100+')
    i18n.global.locale.value = 'en'
  })
})
