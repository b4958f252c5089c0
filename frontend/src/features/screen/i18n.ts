/** The big screen's words (一张图), merged into the app's i18n at import; figure names are the dashboard's. */
import { i18n } from '../../i18n/index'

const messages = {
  'zh-CN': {
    screen: {
      title: '创城督查一张图', week: '本周', month: '本月', asOf: '数据截至 {at}',
      stale: '数据未能更新，显示的是 {at} 的数据', staleNever: '数据加载失败',
      fullscreen: '全屏', exitFullscreen: '退出全屏', refresh: '立即刷新', exit: '退出大屏',
      now: { open: '未结案', overdue: '已超期', near: '预超期', inTime: '未超期' },
      ranking: '红黑榜', noRanking: '本期暂无排名',
      trend: '近 8 周趋势', map: '未结案问题分布', mapLegend: '图例', clusterNote: '聚合点按其中最紧急的案件着色',
      overdue: '超期未整改', overdueTotal: '共 {n} 件', noOverdue: '没有超期案件',
      overdueFor: '超期 {d}',
      rounds: '实地测评得分率', noRounds: '尚无测评任务', sites: '已测评 {done}/{total} 个点位', noScore: '暂无得分',
      loading: '加载中…',
      // What the two overdue figures count (app/stats: overdue_unclosed is a period's cohort against the office's
      // deadline, awaiting verification included; overdue_now is every ticket not rectified past its deadline now).
      note: {
        unclosed: '本周 / 本月派遣的案件中，已过考核时限、仍未结案的（含已整改待核查）',
        now: '此刻已过整改时限、仍未整改的全部案件，不论何时派遣（挂账除外）',
      },
    },
  },
  en: {
    screen: {
      title: 'Civilized-city inspection at a glance', week: 'This week', month: 'This month', asOf: 'Data as of {at}',
      stale: 'Could not refresh: showing data of {at}', staleNever: 'Could not load the data',
      fullscreen: 'Full screen', exitFullscreen: 'Exit full screen', refresh: 'Refresh now', exit: 'Leave the big screen',
      now: { open: 'Open', overdue: 'Overdue', near: 'Near deadline', inTime: 'In time' },
      ranking: 'Red / black list', noRanking: 'No ranking for this period yet',
      trend: 'Last 8 weeks', map: 'Open problems', mapLegend: 'Legend', clusterNote: 'a cluster takes the colour of its most urgent ticket',
      overdue: 'Overdue, not rectified', overdueTotal: '{n} in all', noOverdue: 'Nothing overdue',
      overdueFor: 'overdue {d}',
      rounds: 'Field evaluation score rates', noRounds: 'No evaluation round yet', sites: '{done} of {total} sites evaluated', noScore: 'No score yet',
      loading: 'Loading…',
      note: {
        unclosed: 'tickets dispatched this week / this month, past the deadline set at dispatch and not yet closed (awaiting verification included)',
        now: 'every ticket past its current deadline and not yet rectified at this moment, whenever it was dispatched (suspended ones excluded)',
      },
    },
  },
}

for (const [locale, m] of Object.entries(messages)) i18n.global.mergeLocaleMessage(locale, m)
