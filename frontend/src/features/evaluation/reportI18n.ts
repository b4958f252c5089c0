/** The round report's words (scores, ranking, lost points, 回头看, 问题清单), merged into the app's i18n at import. */
import { i18n } from '../../i18n/index'

export const messages = {
  'zh-CN': {
    evr: {
      title: '测评结果', rate: '得分率', earnedOf: '得分 {earned} / 应得分 {possible}', meanRate: '点位平均得分率 {v}',
      evaluated: '已测评 {n}', unable: '无法调查 {n}', pending: '未提交 {n}', partial: '仅显示你可见的点位',
      excel: '下载 Excel', print: '打印版', tabs: { ranking: '单位排名', lost: '失分', sites: '点位得分', findings: '问题清单', review: '回头看' },
      rank: '第 {n} 名', unranked: '不排名', sitesN: '{n} 个点位', dimensions: '按维度', items: '失分最多的测评项',
      lostPts: '失 {v} 分', lostNone: '未失分', share: '占 {v}', failedAt: '{n} 个点位不达标', status: { evaluated: '已测评', unable: '无法调查', pending: '未提交' },
      progress: '销号进度 {closed}/{total}（{rate}）', undispatched: '待交办', noFindings: '没有问题', noData: '尚无已提交的测评',
      more: '显示更多', formulas: '计算公式', occurrences: '{n} 处',
      change: { fixed: '已整改', still_failing: '仍未整改', newly_failing: '新增问题', fail_to_na: '不达标→不适用', pass_to_na: '达标→不适用', na_to_fail: '不适用→不达标', na_to_pass: '不适用→达标', item_added: '新增测评项', item_removed: '删除测评项', fail_to_unable: '不达标→无法调查', pass_to_unable: '达标→无法调查', na_to_unable: '不适用→无法调查', unable_to_fail: '无法调查→不达标', unable_to_pass: '无法调查→达标', unable_to_na: '无法调查→不适用', still_unable: '仍无法调查' },
      naItems: '不适用项 {n}', unableItems: '无法调查项 {n}',
      recent: '最近测评任务得分率', recentNone: '尚无测评任务', recentAll: '全部任务', recentNoScore: '暂无得分',
      reviewOf: '对比：{name}', origin: '来源：实地测评', originItem: '{code} {text}', awaiting: '待测评发布',
      awaitingHint: '测评结果发布后方可派遣（四不两直）',
      rankedOf: '排名按本轮全部点位计算，共 {n} 个单位参与排名', noRanksYet: '测评任务发布后公布排名', shareSeen: '占所见 {v}',
    },
  },
  en: {
    evr: {
      title: 'Results', rate: 'Score rate', earnedOf: 'Earned {earned} of {possible}', meanRate: 'Mean site rate {v}',
      evaluated: '{n} evaluated', unable: '{n} unable to evaluate', pending: '{n} not submitted', partial: 'Only the sites you may see',
      excel: 'Download Excel', print: 'Printable', tabs: { ranking: 'Units', lost: 'Lost points', sites: 'Sites', findings: 'Findings', review: 'Re-check' },
      rank: 'No. {n}', unranked: 'Not ranked', sitesN: '{n} site | {n} sites', dimensions: 'By dimension', items: 'Items losing most',
      lostPts: '−{v} pts', lostNone: 'no points lost', share: '{v} of all', failedAt: 'failed at {n} site | failed at {n} sites', status: { evaluated: 'Evaluated', unable: 'Unable', pending: 'Not submitted' },
      progress: 'Closed {closed}/{total} ({rate})', undispatched: 'Awaiting dispatch', noFindings: 'No findings', noData: 'No site submitted yet',
      more: 'Show more', formulas: 'Formulas', occurrences: '×{n}',
      change: { fixed: 'Fixed', still_failing: 'Still failing', newly_failing: 'Newly failing', fail_to_na: 'Fail → n/a', pass_to_na: 'Pass → n/a', na_to_fail: 'n/a → fail', na_to_pass: 'n/a → pass', item_added: 'Item added', item_removed: 'Item removed', fail_to_unable: 'Fail → not checked', pass_to_unable: 'Pass → not checked', na_to_unable: 'n/a → not checked', unable_to_fail: 'Not checked → fail', unable_to_pass: 'Not checked → pass', unable_to_na: 'Not checked → n/a', still_unable: 'Still not checked' },
      naItems: '{n} item n/a | {n} items n/a', unableItems: '{n} item not checked | {n} items not checked',
      recent: 'Latest rounds\' score rates', recentNone: 'No round yet', recentAll: 'All rounds', recentNoScore: 'No score yet',
      reviewOf: 'Compared with {name}', origin: 'From field evaluation', originItem: '{code} {text}', awaiting: 'Awaiting round publication',
      awaitingHint: 'May be dispatched once the round is published',
      rankedOf: 'Ranked over the whole round: {n} units', noRanksYet: 'Ranks are given once the round is published', shareSeen: '{v} of these',
    },
  },
}

for (const [loc, msgs] of Object.entries(messages)) i18n.global.mergeLocaleMessage(loc, msgs)
