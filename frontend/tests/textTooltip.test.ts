import { describe, it, expect } from 'vitest'
import { withTextTooltips } from '../src/features/stats/textTooltip'

const EVIL = '<img src=x onerror=alert(1)></script><script>alert(2)</script>'

describe('withTextTooltips', () => {
  it('turns a formatter string into text, never HTML', () => {
    const option = withTextTooltips({ tooltip: { trigger: 'item', formatter: () => `XC-1\n${EVIL}` } })
    const el = option.tooltip.formatter({})
    expect(el).toBeInstanceOf(HTMLElement)
    expect(el.textContent).toBe(`XC-1\n${EVIL}`)
    expect(el.querySelector('img, script')).toBeNull()
    expect(el.childNodes).toHaveLength(1)
    expect(el.firstChild.nodeType).toBe(Node.TEXT_NODE)
  })

  it('wraps per-series tooltips and leaves templates and DOM results alone', () => {
    const node = document.createElement('b')
    const option = withTextTooltips({
      tooltip: { formatter: '{b}: {c}' },
      series: [{ tooltip: { formatter: () => EVIL } }, { tooltip: { formatter: () => node } }, { type: 'bar' }],
    })
    expect(option.tooltip.formatter).toBe('{b}: {c}')
    expect(option.series[0].tooltip.formatter().textContent).toBe(EVIL)
    expect(option.series[1].tooltip.formatter()).toBe(node)
    expect(option.series[2]).toEqual({ type: 'bar' })
  })
})
