import { describe, expect, it } from 'vitest'
import { localText, messages, siteCountKey, siteTypeName, typeName } from '../src/features/evaluation/i18n'

/** Every key path of a nested message object. */
const keys = (o, prefix = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))

describe('evaluation words', () => {
  it('has every Chinese key in English too, and no other', () => {
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
  it('names every round state and move', () => {
    expect(Object.keys(messages['zh-CN'].ev.state)).toEqual(['draft', 'active', 'closed', 'published'])
    expect(Object.keys(messages['zh-CN'].ev.to)).toEqual(['active', 'closed', 'published'])
  })
  it('names a site type in the reader\'s language, its code when unknown', () => {
    const types = [{ code: 'bus_stop', zh: '公交站台（站点）', en: 'Bus stop / shelter' }]
    expect(typeName(types, 'bus_stop', 'zh-CN')).toBe('公交站台（站点）')
    expect(typeName(types, 'bus_stop', 'en')).toBe('Bus stop / shelter')
    expect(typeName(types, 'zoo', 'zh-CN')).toBe('zoo')
  })
  it('shows a checklist\'s English in English, its Chinese when the English is empty', () => {
    expect(localText('地面无垃圾', 'No litter on the ground', 'en')).toBe('No litter on the ground')
    expect(localText('地面无垃圾', 'No litter on the ground', 'zh-CN')).toBe('地面无垃圾')
    expect(localText('地面无垃圾', '', 'en')).toBe('地面无垃圾')
    expect(localText('地面无垃圾', undefined, 'en')).toBe('地面无垃圾')
  })
  it('names a site\'s type from the list when the reader has it, else from the site (a unit has no list)', () => {
    const site = { site_type: 'bus_stop', site_type_name: '公交站台（站点）', site_type_name_en: 'Bus stop / shelter' }
    expect(siteTypeName([], site, 'en')).toBe('Bus stop / shelter')
    expect(siteTypeName([], site, 'zh-CN')).toBe('公交站台（站点）')
    expect(siteTypeName([], { ...site, site_type_name_en: '' }, 'en')).toBe('公交站台（站点）')
    expect(siteTypeName([{ code: 'bus_stop', zh: '公交站', en: 'Bus stop' }], site, 'en')).toBe('Bus stop')
  })
})

describe("a round's site count says whose sites it counts", () => {
  it('all of them for the office, those assigned for an inspector, its own for a unit', () => {
    expect(siteCountKey('dispatcher')).toBe('ev.siteCount')
    expect(siteCountKey('inspector')).toBe('ev.siteCountMine')
    expect(siteCountKey('unit_staff')).toBe('ev.siteCountUnit')
    expect(messages['zh-CN'].ev.siteCountMine).toContain('指派给你')
    expect(messages.en.ev.siteCountUnit).toContain('your unit')
  })
})
