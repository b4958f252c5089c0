/** The workbench's words, merged into the app's i18n at import (the page loads only on desktop routes). */
import { i18n } from '../../i18n/index'

const messages = {
  'zh-CN': {
    wb: {
      title: '调度工作台', status: '状态', anyStatus: '全部状态', open: '在办', unit: '责任单位', anyUnit: '全部单位',
      category: '问题类别', anyCategory: '全部类别', grid: '网格', anyGrid: '全部网格', district: '辖区', anyDistrict: '全部辖区',
      deadline: '时限', anyDeadline: '全部时限', overdue: '已超期', due24: '24 小时内到期', due72: '72 小时内到期',
      from: '上报起', to: '上报止', origin: '来源', anyOrigin: '全部来源', patrol: '巡查上报', evaluation: '实地测评',
      search: '编号、描述、地址', reset: '重置', saved: '已保存的筛选', savedNone: '已保存的筛选…', save: '保存筛选',
      saveName: '筛选名称', deleteSaved: '删除此筛选', savedOk: '已保存“{name}”',
      caseNumber: '案件编号', description: '问题描述', suggested: '推荐 / 责任单位', reportedAt: '上报时间',
      deadlineAt: '整改时限', updatedAt: '更新时间', selectAll: '全选本页', selectRow: '选择 {c}',
      selected: '已选 {n} 件', clear: '清除选择', bulkDispatch: '批量派遣', bulkCancel: '批量不予立案',
      page: '第 {n} 页', prev: '上一页', next: '下一页', empty: '没有符合条件的案件', count: '本页 {n} 件',
      keys: '快捷键：j/k 或 ↑/↓ 移动，x 选择，Shift+点击 连选，Enter 查看，d 批量派遣',
      dispatchTitle: '批量派遣 {n} 件', dispatchUnit: '派遣至', chooseUnit: '请选择责任单位', dispatchDeadline: '整改时限',
      deadlineHint: '留空则按各案件类别的时限：', note: '派遣意见', dispatchOk: '已派遣 {n} 件',
      cancelTitle: '批量不予立案 {n} 件', reason: '理由', reasonPh: '如：重复上报', duplicateOf: '重复于（案件编号，可选）',
      cancelOk: '已不予立案 {n} 件', refused: '未作任何更改：', failed: '操作失败：{msg}', unknownCase: '找不到案件 {c}',
      notReported: '只能对待派遣的案件批量操作', awaitingRound: '所选案件中有待测评发布的问题：测评任务发布后才能派遣', openPage: '在新页面打开', reporter: '上报人', address: '地址',
      map: '地图', drawer: '案件详情', suggestedShort: '推荐',
    },
  },
  en: {
    wb: {
      title: 'Dispatch workbench', status: 'Status', anyStatus: 'Any status', open: 'Open', unit: 'Unit', anyUnit: 'Any unit',
      category: 'Category', anyCategory: 'Any category', grid: 'Grid', anyGrid: 'Any grid', district: 'District', anyDistrict: 'Any district',
      deadline: 'Deadline', anyDeadline: 'Any deadline', overdue: 'Overdue', due24: 'Due within 24 h', due72: 'Due within 72 h',
      from: 'Reported from', to: 'Reported to', origin: 'Source', anyOrigin: 'Any source', patrol: 'Patrol report', evaluation: 'Evaluation',
      search: 'Case number, description, address', reset: 'Reset', saved: 'Saved filters', savedNone: 'Saved filters…', save: 'Save filter',
      saveName: 'Filter name', deleteSaved: 'Delete this filter', savedOk: 'Saved "{name}"',
      caseNumber: 'Case no.', description: 'Problem', suggested: 'Suggested / assigned unit', reportedAt: 'Reported',
      deadlineAt: 'Deadline', updatedAt: 'Updated', selectAll: 'Select this page', selectRow: 'Select {c}',
      selected: '{n} selected', clear: 'Clear selection', bulkDispatch: 'Dispatch selected', bulkCancel: 'Cancel selected',
      page: 'Page {n}', prev: 'Previous', next: 'Next', empty: 'No tickets match', count: '{n} on this page',
      keys: 'Keys: j/k or ↑/↓ move, x selects, Shift+click selects a range, Enter opens, d dispatches',
      dispatchTitle: 'Dispatch {n} ticket | Dispatch {n} tickets', dispatchUnit: 'Dispatch to', chooseUnit: 'Choose the responsible unit', dispatchDeadline: 'Deadline',
      deadlineHint: "Empty: each ticket's category limit:", note: 'Note', dispatchOk: '{n} tickets dispatched',
      cancelTitle: 'Not accepted: {n} ticket | Not accepted: {n} tickets', reason: 'Reason', reasonPh: 'e.g. duplicate report', duplicateOf: 'Duplicate of (case number, optional)',
      cancelOk: '{n} tickets cancelled', refused: 'Nothing was changed:', failed: 'Failed: {msg}', unknownCase: 'No ticket {c}',
      notReported: 'Bulk actions apply to reported tickets only', awaitingRound: 'A selected ticket awaits its evaluation round: it can be dispatched once the round is published', openPage: 'Open full page', reporter: 'Reporter', address: 'Address',
      map: 'Map', drawer: 'Ticket', suggestedShort: 'Suggested',
    },
  },
}

for (const [loc, msgs] of Object.entries(messages)) i18n.global.mergeLocaleMessage(loc, msgs)
