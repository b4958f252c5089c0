/**
 * A new unit's kind read from its name, as Chinese government names say it (光明街道办事处 is a street office,
 * 东城区人民政府 a district): the form started at 部门 for every unit, and a street office created as a top-level
 * department is ranked in the wrong red/black list group. Only a guess: the admin's own choice wins.
 */
export type UnitKind = 'department' | 'district' | 'street' | 'company'

export function kindFromName(name: string): UnitKind | null {
  const n = name.trim().replace(/[（(].*?[)）]/g, '')
  if (!n) return null
  if (/(街道办事处|街道办|街道|镇人民政府|乡人民政府|镇政府|乡政府)$/.test(n)) return 'street'
  if (/(区人民政府|县人民政府|区政府|县政府|市辖区)$/.test(n) || /^[^局委办厅处]+[区县]$/.test(n)) return 'district'
  if (/(有限公司|有限责任公司|股份公司|集团|公司)$/.test(n)) return 'company'
  if (/(局|委员会|委|办公室|办|厅|处|中心|支队|大队)$/.test(n)) return 'department'
  return null
}

/**
 * A new street office's district read from its name (东城区光明街道办事处 → 东城区人民政府): the one active district
 * whose name, less 人民政府/政府, begins the name typed; null when none or several do. Only a guess, as the kind.
 */
export function districtFromName<U extends { id: number; name: string; kind: string; is_active: boolean }>(
  name: string, units: U[]): U | null {
  const n = name.trim()
  const found = units.filter((u) => {
    if (u.kind !== 'district' || !u.is_active) return false
    const short = u.name.replace(/(人民政府|政府)$/, '')
    return short.length >= 2 && short !== n && n.startsWith(short)
  })
  return found.length === 1 ? found[0] : null
}
