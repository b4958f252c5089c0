import { createI18n } from 'vue-i18n'
import { Locale } from 'vant'
import vantEn from 'vant/es/locale/lang/en-US'
import vantZh from 'vant/es/locale/lang/zh-CN'
import zhCN from './zh-CN'
import en from './en'

const saved = (() => {
  try {
    return localStorage.getItem('xuncha.locale')
  } catch {
    return null
  }
})()

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(loc) {
  i18n.global.locale.value = loc
  localStorage.setItem('xuncha.locale', loc)
  document.documentElement.lang = loc
  Locale.use(loc === 'en' ? 'en-US' : 'zh-CN', loc === 'en' ? vantEn : vantZh)
}

setLocale(i18n.global.locale.value)
