import { describe, expect, it } from 'vitest'
import { messages, typeName } from '../src/features/evaluation/i18n'

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
})
