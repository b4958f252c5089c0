/**
 * ECharts puts a tooltip formatter's string into the page as HTML (innerHTML). User text (descriptions,
 * unit names) must never be HTML, so every chart goes through `withTextTooltips`: a function formatter
 * returns plain text (lines separated by "\n") and gets a DOM element whose text is set with
 * textContent, which the browser never parses. ECharts' own string templates ("{b}: {c}") encode their
 * values already; DOM nodes a formatter returns are kept as they are.
 */

export function textElement(text) {
  const el = document.createElement('div')
  el.className = 'xc-tooltip-text'
  el.textContent = text == null ? '' : String(text)
  return el
}

function wrap(formatter) {
  if (typeof formatter !== 'function' || formatter.textSafe) return formatter
  const safe = (...args) => {
    const out = formatter(...args)
    if (out instanceof Node || (Array.isArray(out) && out.every((x) => x instanceof Node))) return out
    return textElement(out)
  }
  safe.textSafe = true
  return safe
}

function wrapTooltip(tooltip) {
  if (!tooltip || typeof tooltip !== 'object') return tooltip
  if (Array.isArray(tooltip)) return tooltip.map(wrapTooltip)
  return { ...tooltip, formatter: wrap(tooltip.formatter), renderMode: 'html' }
}

/** A copy of an ECharts option whose tooltip formatters (global and per series) produce text only. */
export function withTextTooltips(option) {
  const out = { ...option }
  if (out.tooltip) out.tooltip = wrapTooltip(out.tooltip)
  if (Array.isArray(out.series)) {
    out.series = out.series.map((s) => (s && s.tooltip ? { ...s, tooltip: wrapTooltip(s.tooltip) } : s))
  }
  return out
}
