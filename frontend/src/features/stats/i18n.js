/** The dashboard's words, merged into the app's i18n at import (the formulas themselves come from the API). */
import { i18n } from '../../i18n/index.js'

const messages = {
  'zh-CN': {
    nav: { dashboard: '看板' },
    stats: {
      title: '督查看板', week: '周', month: '月', prev: '上一期', next: '下一期', city: '全市', scope: '范围',
      withChildren: '含下级单位', cohort: '统计口径', asOf: '统计截至 {at}',
      figure: {
        closure_rate: '结案率', rectification_rate: '整改率', on_time_rate: '按期结案率', rework_rate: '返工率', reported: '发现数',
        handed_over: '交办数', handed_over_voided: '其中作废', due: '应结案数', closed_late: '超期结案', overdue_unclosed: '超期未结案',
        rework_times: '返工次数',
        dispatched: '派遣数', closed: '结案数', closed_on_time: '按期结案', rectified: '整改数', reworked: '返工案件数',
        overdue: '本期超期', overdue_now: '当前超期', returned: '回退数', cancelled: '不予立案',
        extended: '延期数', suspended: '挂账数', voided: '作废数', urged: '催办数', supervised: '督办数',
      },
      hours: {
        title: '用时（小时）中位数 / 90分位', hours_report_dispatch: '上报→派遣', hours_dispatch_rectify: '派遣→整改',
        hours_report_close: '上报→结案',
      },
      ranking: '红黑榜', red: '红榜', black: '黑榜', rank: '第{n}名', prevRank: '上期第{n}名', newEntry: '上期未排名',
      noRanking: '本期无应结案件，暂无排名', rules: '评定规则', unitsTable: '各单位',
      rankGroup: { department: '职能部门', territorial: '属地（区、街道）', company: '企业' },
      rankRest: '未上榜', rankUnranked: '另有 {n} 个单位本期应结案数不足，不参与排名',
      trend: '近 8 周趋势', trendReported: '上报', trendClosed: '结案', trendRate: '结案率',
      overdueList: '超期未整改', noOverdue: '没有超期案件', seeAll: '查看全部',
      map: '未结案问题分布', openCount: '{n} 件未结案', overdueCount: '{n} 件超期',
      unitTimeline: '案件办理时间轴', unitTimelineHint: '本期派遣的案件：条形从派遣到整改/结案，竖线为整改时限，红色为超期',
      ticketTimeline: '办理时间轴', stage: {
        waiting_dispatch: '待派遣', rectifying: '整改中', verifying: '待核查', returned: '退回待改派',
      },
      round: '第{n}轮返工', late: '超时', deadline: '整改时限', now: '现在',
      export: '导出', exportExcel: '每周通报 Excel', exportPrint: '每周通报（打印 A4）', notice: '督办通知书',
      exportFailed: '导出失败：{msg}', drillTitle: '{figure}（{n} 件）', drillCount: '共 {n} 件', loadFailed: '加载失败：{msg}',
      unitOnly: '本单位数据', openDashboard: '看板', moreFigures: '更多指标', blackStreak: '连续{n}期',
      reworkTimes: '返工 {times} 次 · {tickets} 件',
    },
    bulletins: {
      title: '已发布通报', publish: '发布通报', publishTitle: '发布通报',
      publishConfirm: '发布「{period}」的通报？发布后数字、红黑榜和文件即固定，不再随案件变化，且不能重复发布。',
      published: '通报已发布', publishFailed: '发布失败：{msg}',
      offline: '发布通报需要联网（不会存入待发送），请联网后再试',
      notOver: '本期尚未结束，结束后才能发布通报',
      publishedBy: '{who} 发布于 {at}', asOf: '统计截至 {at}', version: '口径第 {v} 版',
      excel: 'Excel', print: '打印版', empty: '尚未发布通报', downloadFailed: '下载失败：{msg}',
    },
  },
  en: {
    nav: { dashboard: 'Dashboard' },
    stats: {
      title: 'Supervision dashboard', week: 'Week', month: 'Month', prev: 'Previous', next: 'Next', city: 'Whole city',
      scope: 'Scope', withChildren: 'incl. sub-units', cohort: 'Definition', asOf: 'As of {at}',
      figure: {
        closure_rate: 'Closure rate', rectification_rate: 'Rectification rate', on_time_rate: 'On-time rate',
        rework_rate: 'Rework rate', handed_over: 'Handed over', handed_over_voided: 'of them voided', due: 'Due',
        closed_late: 'Closed late', overdue_unclosed: 'Overdue, not closed', rework_times: 'Reworks',
        reported: 'Reported', dispatched: 'Dispatched', closed: 'Closed', closed_on_time: 'Closed on time',
        rectified: 'Rectified', reworked: 'Reworked tickets', overdue: 'Overdue (period)', overdue_now: 'Overdue now',
        returned: 'Returned', cancelled: 'Not accepted', extended: 'Extended', suspended: 'Suspended', voided: 'Voided',
        urged: 'Urged', supervised: 'Supervised',
      },
      hours: {
        title: 'Hours: median / 90th percentile', hours_report_dispatch: 'Report→dispatch',
        hours_dispatch_rectify: 'Dispatch→rectify', hours_report_close: 'Report→close',
      },
      ranking: 'Red / black list', red: 'Red list', black: 'Black list', rank: '#{n}', prevRank: 'prev. #{n}',
      newEntry: 'not ranked before', noRanking: 'No tickets due in this period', rules: 'Rules',
      rankGroup: { department: 'Departments', territorial: 'Districts and street offices', company: 'Companies' },
      rankRest: 'On neither list', rankUnranked: '{n} more units had too few tickets due to be ranked',
      unitsTable: 'Units', trend: 'Last 8 weeks', trendReported: 'Reported', trendClosed: 'Closed',
      trendRate: 'Closure rate', overdueList: 'Overdue, not rectified', noOverdue: 'No overdue tickets',
      seeAll: 'See all', map: 'Open problems', openCount: '{n} open', overdueCount: '{n} overdue',
      unitTimeline: 'Closure timeline', unitTimelineHint: "This period's dispatched tickets: bar from dispatch to rectification/close; tick = deadline; red = overdue",
      ticketTimeline: 'Closure timeline', stage: {
        waiting_dispatch: 'Waiting for dispatch', rectifying: 'Rectifying', verifying: 'Waiting for verification',
        returned: 'Returned',
      },
      round: 'rework round {n}', late: 'late', deadline: 'Deadline', now: 'now',
      export: 'Export', exportExcel: 'Weekly bulletin (Excel)', exportPrint: 'Weekly bulletin (print A4)',
      notice: 'Supervision notice', exportFailed: 'Export failed: {msg}', drillTitle: '{figure} ({n})',
      drillCount: '{n} tickets', loadFailed: 'Could not load: {msg}', unitOnly: 'Your unit', openDashboard: 'Dashboard',
      moreFigures: 'More figures', blackStreak: '{n} in a row',
      reworkTimes: '{times} reworks · {tickets} tickets',
    },
    bulletins: {
      title: 'Published bulletins', publish: 'Publish bulletin', publishTitle: 'Publish bulletin',
      publishConfirm: 'Publish the bulletin of "{period}"? Its figures, lists and files are then fixed for good, and it cannot be published again.',
      published: 'Bulletin published', publishFailed: 'Publishing failed: {msg}',
      offline: 'Publishing needs a connection (it is not queued in the outbox); try again when online',
      notOver: 'This period has not ended yet; publish its bulletin once it has',
      publishedBy: 'Published by {who}, {at}', asOf: 'As of {at}', version: 'definitions v{v}',
      excel: 'Excel', print: 'Printout', empty: 'No bulletin published yet', downloadFailed: 'Download failed: {msg}',
    },
  },
}

for (const [loc, msgs] of Object.entries(messages)) i18n.global.mergeLocaleMessage(loc, msgs)
