/** The evaluation (实地测评) screens' words, merged into the app's i18n at import. */
import { i18n } from '../../i18n/index'

export const messages = {
  'zh-CN': {
    ev: {
      section: '实地测评', sites: '测评点位', rounds: '测评任务', mySites: '我的测评点位', newRound: '新建测评任务',
      allTypes: '全部类型', search: '名称、地址或编号', inactive: '已停用', sitesTotal: '共 {n} 个点位',
      noSites: '暂无点位', noRounds: '暂无测评任务', noMySites: '当前没有指派给你的测评点位',
      state: { draft: '草稿', active: '进行中', closed: '已结束', published: '已发布' },
      to: { active: '开始测评', closed: '结束测评', published: '发布结果' },
      confirmTo: '确定将任务改为“{state}”吗？', dispatchOnPublish: '发布时直接交办', dispatchOnPublishHint: '发布本轮时，每个问题直接派给点位的责任单位（按类别默认时限），不经分拨', pendingOnClose: '还有 {n} 个点位未提交测评结果：结束后不能再提交，这些点位不计分。', pendingOnPublish: '有 {n} 个点位未提交测评结果，不计入得分；发布后各单位可看到本轮结果。', siteCount: '{n} 个点位', siteCountMine: '指派给你的 {n} 个点位', siteCountUnit: '本单位 {n} 个点位', window: '{from} 至 {to}',
      name: '任务名称', starts: '开始日期', ends: '结束日期', counts: '各类型抽取数量', available: '可抽 {n}',
      seed: '随机种子', seedPh: '留空则随机', seedHint: '种子随任务记录；同一种子、同一批点位抽到相同结果', inspectors: '督查员（依次分配）',
      create: '抽取并创建', created: '已创建', drawRandom: '随机抽取', seedRecorded: '随机种子 {seed}',
      chosen: '指定点位', followupOf: '回头看 · 原任务 #{id}', followup: '发起回头看', followupCreated: '已创建回头看任务',
      unassigned: '未指派', checklist: '细则 v{v}', due: '截止 {at}', unit: '责任单位', needCount: '请至少抽取一个点位',
      badWindow: '结束日期不能早于开始日期', needInspector: '请至少选择一名督查员', assign: '指派', assignTitle: '指派督查员：{site}',
      assigned: '已指派', unassignedHint: '有 {n} 个点位未指派督查员：指派后才能开始测评',
      failed: '操作失败：{msg}', map: '地图', list: '列表',
      form: {
        title: '实地测评', progress: '已答 {done}/{total}', nextOpen: '下一未答', lost: '扣 {p} 分',
        pass: '达标', fail: '不达标', na: '不适用', unable: '无法调查', occurrences: '问题次数', note: '备注', notePh: '问题描述（可选）',
        unableItemReason: '原因', unableItemReasonPh: '如：区域上锁、施工围挡，无法检查', unableItemReasonNeeded: '请填写无法调查的原因',
        unableItemHint: '该项不扣分，不计入应得分，单独统计',
        photosNeed: '需拍照 {n} 张', points: '{p} 分', perOccurrence: '每处扣 {d} 分，最多扣 {p} 分',
        allOrNothing: '不达标扣全部 {p} 分', unableSite: '整个点位无法调查', unableReason: '无法调查原因',
        unableReasonPh: '如：闭店装修、拒绝进入', submit: '提交测评', submitHint: '还有 {n} 项未完成',
        confirmSubmit: '提交后不能修改，确定提交吗？', saved: '已保存到本机，待上传', draftSaved: '草稿已保存在本机',
        missingPhotos: '还差 {n} 张照片', readonly: '已提交，只读', queued: '待上传', submitted: '已提交',
        draft: '未完成', new: '未开始', noChecklist: '细则未缓存：请联网后打开“我的测评点位”', offlineReady: '已可离线测评',
        score: '得分 {e}/{p}（得分率 {r}）', ticket: '问题 {n}', local: '本机记录（尚未上传）', collapse: '收起',
        notFound: '该点位不在你的测评任务中', distance: '距点位 {m} 米', far: '超出 {m} 米，请确认是否在点位现场', onlyOpen: '只看未答', showAll: '全部', unableShown: '无法调查：{r}',
      },
    },
  },
  en: {
    ev: {
      section: 'Field evaluation', sites: 'Evaluation sites', rounds: 'Evaluation rounds', mySites: 'My evaluation sites',
      newRound: 'New round', allTypes: 'All types', search: 'Name, address or code', inactive: 'Inactive',
      sitesTotal: '{n} site | {n} sites', noSites: 'No sites', noRounds: 'No rounds yet', noMySites: 'No sites assigned to you now',
      state: { draft: 'Draft', active: 'Active', closed: 'Closed', published: 'Published' },
      to: { active: 'Start', closed: 'Close', published: 'Publish results' },
      confirmTo: 'Change the round to “{state}”?', dispatchOnPublish: 'Dispatch on publication', dispatchOnPublishHint: 'When the round is published, each finding goes straight to its site\'s unit (with its category\'s default deadline), without triage', pendingOnClose: 'One site has no result yet: once the round ends none can be sent, and it scores nothing. | {n} sites have no result yet: once the round ends none can be sent, and they score nothing.', pendingOnPublish: 'One site has no result and counts in no score; once published, the units see the round. | {n} sites have no result and count in no score; once published, the units see the round.', siteCount: '{n} site | {n} sites', siteCountMine: '{n} site assigned to you | {n} sites assigned to you', siteCountUnit: '{n} site of your unit | {n} sites of your unit', window: '{from} to {to}',
      name: 'Round name', starts: 'Start date', ends: 'End date', counts: 'Sites to draw per type', available: '{n} available',
      seed: 'Random seed', seedPh: 'Blank: random', seedHint: 'Recorded with the round; the same seed over the same sites draws the same sites',
      inspectors: 'Inspectors (dealt in turn)', create: 'Draw and create', created: 'Created', drawRandom: 'Random draw',
      seedRecorded: 'Seed {seed}', chosen: 'Chosen sites', followupOf: 'Re-check of round #{id}', followup: 'Start a re-check',
      followupCreated: 'Re-check round created', unassigned: 'Unassigned', checklist: 'Checklist v{v}', due: 'Due {at}',
      badWindow: 'The end date cannot be before the start date', needInspector: 'Choose at least one inspector', assign: 'Assign', assignTitle: 'Inspectors of {site}',
      assigned: 'Assigned', unassignedHint: 'One site has no inspector: assign one before the round starts | {n} sites have no inspector: assign them before the round starts',
      unit: 'Responsible unit', needCount: 'Draw at least one site', failed: 'Failed: {msg}', map: 'Map',
      list: 'List',
      form: {
        title: 'Evaluate site', progress: 'Done {done}/{total}', nextOpen: 'Next open', lost: '−{p} pts',
        pass: 'Pass', fail: 'Fail', na: 'N/A', unable: 'Cannot check', occurrences: 'Occurrences', note: 'Note', notePh: 'What is wrong (optional)',
        unableItemReason: 'Reason', unableItemReasonPh: 'e.g. locked area, building works', unableItemReasonNeeded: 'Say why it could not be checked',
        unableItemHint: 'No points lost; out of the possible points, counted separately',
        photosNeed: '{n} photo needed | {n} photos needed', points: '{p} pts', perOccurrence: '−{d} per occurrence, at most −{p}',
        allOrNothing: 'Fail loses all {p} pts', unableSite: 'Whole site cannot be evaluated', unableReason: 'Reason',
        unableReasonPh: 'e.g. closed for works, access refused', submit: 'Submit evaluation', submitHint: '{n} item to finish | {n} items to finish',
        confirmSubmit: 'A submitted site cannot be changed. Submit?', saved: 'Saved on this phone, to be sent',
        draftSaved: 'Draft saved on this phone', missingPhotos: '{n} more photo | {n} more photos', readonly: 'Submitted, read-only',
        queued: 'To send', submitted: 'Submitted', draft: 'In progress', new: 'Not started',
        noChecklist: 'Checklist not cached: open "My evaluation sites" online first', offlineReady: 'Ready offline',
        score: 'Score {e}/{p} (rate {r})', ticket: 'Ticket {n}', local: 'Record on this phone (not sent yet)',
        collapse: 'Collapse', notFound: 'This site is not assigned to you', distance: '{m} m from the site', far: 'more than {m} m: are you at the site?', onlyOpen: 'Open only', showAll: 'All',
        unableShown: 'Not evaluated: {r}',
      },
    },
  },
}

for (const [loc, msgs] of Object.entries(messages)) i18n.global.mergeLocaleMessage(loc, msgs)

/** The English text in English when there is one, else the Chinese (a checklist's English text is optional). */
export function localText(zh: string, en: string | null | undefined, locale: string): string {
  return locale === 'en' && en ? en : zh
}

/** A site type's name in the current language, from the site types list (else the name the API gave, else the code). */
export function typeName(types, code, locale, fallback = code) {
  const t = types.find((x) => x.code === code)
  if (!t) return fallback
  return localText(t.zh, t.en, locale)
}

/** A site's type name in the current language: from the site types list when the reader has it, else from the
 * names the site carries (unit staff read no site types list). */
export function siteTypeName(types, site: { site_type: string, site_type_name: string, site_type_name_en?: string }, locale) {
  return typeName(types, site.site_type, locale, localText(site.site_type_name, site.site_type_name_en, locale))
}

/** A round's site count as the reader sees it: the office all of them, an inspector those assigned, a unit its own. */
export function siteCountKey(role: string | null | undefined): string {
  return role === 'inspector' ? 'ev.siteCountMine' : role === 'unit_staff' ? 'ev.siteCountUnit' : 'ev.siteCount'
}
