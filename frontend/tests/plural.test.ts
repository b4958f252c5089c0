import { describe, expect, it } from 'vitest'
import { i18n } from '../src/i18n'
import '../src/features/evaluation/i18n' // the features merge their words into the app's i18n
import '../src/features/admin/i18n'
import '../src/features/evaluation/reportI18n'

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

describe('no "(s)" left in what a phone shows', () => {
  it('reads the evaluation form, the outbox warnings and the urge banner in the singular and plural', () => {
    expect(t('ev.form.submitHint', { n: 1 }, 1)).toBe('1 item to finish')
    expect(t('ev.form.submitHint', { n: 4 }, 4)).toBe('4 items to finish')
    expect(t('ev.form.missingPhotos', { n: 1 }, 1)).toBe('1 more photo')
    expect(t('evr.naItems', { n: 1 }, 1)).toBe('1 item n/a')
    expect(t('mine.unsent', { n: 2 }, 2)).toBe('2 reports still on this phone, waiting to upload')
    expect(t('exc.urgedBanner', { n: 1 }, 1)).toBe('Urged once')
    expect(t('exc.urgedBanner', { n: 3 }, 3)).toBe('Urged 3 times')
    for (const [key, msg] of Object.entries(flatten(i18n.global.getLocaleMessage('en')))) {
      expect(`${key}: ${msg}`).not.toMatch(/\(s\)/)
    }
  })
})

function flatten(o: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') out[prefix + k] = v
    else if (v && typeof v === 'object') Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`))
  }
  return out
}
