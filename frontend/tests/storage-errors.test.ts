import { describe, it, expect } from 'vitest'
import { createI18n } from 'vue-i18n'
import zh from '../src/i18n/zh-CN'
import en from '../src/i18n/en'
import { isStorageFull, localFailure } from '../src/db/errors'

function translator(locale: 'zh-CN' | 'en') {
  const i18n = createI18n({ legacy: false, locale, messages: { 'zh-CN': zh, en } })
  return i18n.global.t as (key: string, values?: Record<string, unknown>) => string
}

describe("the phone's own storage failing", () => {
  const full = new DOMException('The quota has been exceeded.', 'QuotaExceededError')
  it('knows storage full by its name, and by the legacy code 22', () => {
    expect(isStorageFull(full)).toBe(true)
    expect(isStorageFull({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true)
    expect(isStorageFull({ code: 22, name: 'Error' })).toBe(true)
    expect(isStorageFull(new DOMException('closed', 'InvalidStateError'))).toBe(false)
    expect(isStorageFull(null)).toBe(false)
  })
  it("says it in the app's language, not the browser's English", () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const t = translator(locale)
      const said = localFailure(t, full, 'err.photo')
      expect(said).toBe(t('err.storageFull'))
      expect(said).not.toContain('quota')
      expect(localFailure(t, new Error('photo_write_verify_failed'))).toBe(t('err.storageFailed'))
    }
    expect(localFailure(translator('zh-CN'), full)).toContain('存储空间已满')
  })
  it("keeps anyone else's message, e.g. the server's refusal", () => {
    const t = translator('zh-CN')
    expect(localFailure(t, new Error('该案件已结案 The ticket is closed'))).toBe('操作失败：该案件已结案 The ticket is closed')
    expect(localFailure(t, 'boom', 'err.photo')).toBe('照片处理失败：boom')
  })
})
