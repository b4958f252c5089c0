/**
 * The server writes its messages in both languages, Chinese first ("整改时限须晚于当前时间 Deadline must be in the
 * future"), for any client. The app shows the half in the reader's language, where the split is certain: the
 * English half starts with a capital after a space and holds no Chinese outside quotes (a name quoted in it, "A
 * unit named '向阳街道' exists", is the reader's data), and the Chinese half holds no English words. Anything else
 * is shown as the server wrote it — both halves, never a cut one. `anyCase`: the English half may start in lower
 * case, for the short rule phrases a message lists in its details ("密码不能全是数字 not only digits").
 */
const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/
const QUOTED = /'[^']*'|"[^"]*"|“[^”]*”|「[^」]*」/g

/** The app's language now, as i18n keeps it (read here without i18n, for the HTTP client). */
export function appLocale(): string {
  try {
    return localStorage.getItem('xuncha.locale') === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export function messageInLanguage(text: string, locale: string = appLocale(), { anyCase = false } = {}): string {
  if (!text) return text
  const boundary = anyCase ? /\s+(?=[A-Za-z])/g : /\s+(?=[A-Z])/g
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) {
    const zh = text.slice(0, m.index)
    const en = text.slice(m.index + m[0].length)
    if (CJK.test(en.replace(QUOTED, ''))) continue
    if (!CJK.test(zh) || /[a-z]{3,}/.test(zh)) return text
    return locale.startsWith('zh') ? zh.trim() : en.trim()
  }
  return text
}
