/** The administration screens' words, merged into the app's i18n when an admin screen loads. */
import { i18n } from '../../i18n/index'

const messages = {
  'zh-CN': {
    admin: {
      title: '系统管理', home: '管理首页', console: '办公台',
      nav: { units: '单位', users: '用户', categories: '问题类别', grids: '网格', sites: '测评点位', channels: '通知渠道', settings: '设置', audit: '操作日志' },
      homeHint: '单位、用户、问题类别、网格和全局设置；每次修改都记入操作日志。',
      save: '保存', cancel: '取消', edit: '编辑', create: '新建', saved: '已保存', loading: '加载中…', empty: '暂无数据',
      active: '启用', inactive: '已停用', deactivate: '停用', reactivate: '重新启用', actions: '操作', reload: '刷新',
      none: '无', errorTitle: '服务器拒绝了此操作', confirm: '确定', more: '加载更多', viewAll: '查看全部',
      units: {
        title: '单位管理', name: '名称', kind: '类型', parent: '上级单位', top: '（顶级）', users: '用户', grids: '网格', open: '在办案件',
        add: '新建单位', addChild: '添加下级', rename: '修改', created: '已创建单位 {name}',
        confirmDeactivate: '停用单位「{name}」？停用前须先转移其在办案件、下级单位、网格和用户。',
        kinds: { department: '部门', district: '区', street: '街道', company: '企业' },
      },
      users: {
        title: '用户管理', username: '用户名', displayName: '姓名', role: '角色', unit: '单位', lastLogin: '最近登录', never: '从未登录',
        devices: '已登录设备', password: '密码', passwordRule: '至少 8 位，不能全是数字，不能与用户名相同', add: '新建用户',
        created: '已创建用户 {name}', resetPassword: '重置密码', newPassword: '新密码', revoke: '注销全部登录',
        confirmRevoke: '注销「{name}」在所有设备上的登录（如手机丢失）？其下一次请求将被拒绝，须重新登录。',
        revoked: '已注销 {n} 个登录', passwordSet: '密码已重置，已注销 {n} 个登录',
        confirmDeactivate: '停用用户「{name}」？其所有登录将被注销。', filterRole: '全部角色', filterActive: '全部状态', unitNeeded: '责任单位用户须选择单位',
      },
      categories: {
        title: '问题类别', code: '编码', name: '名称', deadline: '处置时限（小时）', defaultUnit: '默认责任单位', enabled: '可选用',
        deadlineHint: '留空：使用系统默认时限', filter: '搜索编码或名称',
      },
      grids: {
        title: '网格管理', import: '导入 GeoJSON', importHint: 'GeoJSON FeatureCollection；每个要素的 properties：name，以及 unit_id 或 unit（单位名称）。全部导入或全部不导入。',
        file: '选择文件', imported: '已导入 {n} 个网格', badFile: '文件不是有效的 JSON', name: '名称', unit: '责任单位', area: '面积',
        check: '检查重叠与空隙', checked: '检查结果：{grids} 个启用网格，{overlaps} 处重叠，{gaps} 处空隙', overlaps: '重叠', gaps: '空隙',
        noProblems: '无重叠，无空隙', pair: '{a} ↔ {b}', map: '网格地图', assign: '指派', count: '共 {n} 个网格',
        draw: '绘制新网格', editShape: '编辑边界', drawHint: '在地图上依次点击各顶点，再点击第一个顶点闭合多边形。',
        drawnHint: '可拖动顶点调整；填写名称和责任单位后保存。', editHint: '拖动顶点修改边界，拖动边上的中点可增加顶点；取消则恢复原边界。',
        selectFirst: '先在列表或地图上选择一个网格', created: '已创建网格 {name}', redrawn: '已保存网格 {name} 的边界',
        editing: '正在编辑：{name}', mine: '与其他网格重叠 {overlaps} 处',
      },
      settings: {
        title: '全局设置', map: '地图底图', crs: '坐标系', crsWgs84: 'WGS-84（天地图、OSM）', crsGcj02: 'GCJ-02（高德、腾讯）',
        layers: '图层（URL 模板，每行一个：底图在前）', subdomains: '子域名', attribution: '版权说明', centre: '地图中心（纬度, 经度）',
        source: '来源', sourceOffice: '本办设置', sourceDefault: '部署默认', resetDefault: '恢复默认', rank: '红黑榜规则',
        redMinRate: '红榜：结案率不低于', redTop: '红榜：名次不低于', blackMaxRate: '黑榜：结案率低于', blackBottom: '黑榜：或倒数名次',
        minDispatched: '参与排名的最少应结案数', calendar: '工作日历', year: '年份', holidays: '法定节假日（每行一个日期）',
        workdays: '调休上班日（每行一个日期）', deleteYear: '删除本年设置', calendarYears: '已设置的年份', datesHint: '格式 YYYY-MM-DD',
        confirmReset: '恢复部署默认设置？',
      },
      channels: {
        title: '通知渠道', hint: '企业微信、钉钉群机器人、Webhook 或短信网关；地址与密钥只写不读。', add: '新建渠道', name: '名称', kind: '类型',
        unit: '接收单位', office: '（办公室）', url: '地址（Webhook URL）', secret: '密钥（钉钉加签或令牌）', keep: '留空则不变', rate: '每分钟上限',
        phones: '短信号码（逗号分隔）', template: '短信模板', host: '地址', hasSecret: '已设密钥', sent: '已发', queued: '排队', failed: '失败',
        lastError: '最近错误', kinds: { wecom: '企业微信机器人', dingtalk: '钉钉机器人', webhook: 'Webhook', sms: '短信网关' },
      },
      sites: {
        title: '测评点位', search: '搜索名称、地址或点位编号', type: '点位类型', allTypes: '全部类型', count: '共 {n} 个', add: '新建点位',
        name: '名称', code: '点位编号', unit: '责任单位', lat: '纬度', lng: '经度', address: '地址', contact: '联系人', phone: '电话',
        rounds: '测评任务', importHint: '批量导入（Excel/CSV/GeoJSON）：python -m app.cli import-sites 或 POST /api/evaluation/sites/import。',
      },
      audit: {
        title: '操作日志', when: '时间', who: '操作人', what: '操作', entity: '对象', change: '修改前 → 修改后', all: '全部对象',
        since: '开始日期', until: '结束日期', system: '系统',
        types: { unit: '单位', user: '用户', grid: '网格', category: '问题类别', settings: '设置', channel: '通知渠道', subscription: '个人短信', site: '测评点位', checklist: '测评细则' },
      },
    },
  },
  en: {
    admin: {
      title: 'Administration', home: 'Admin home', console: 'Office console',
      nav: { units: 'Units', users: 'Users', categories: 'Categories', grids: 'Grids', sites: 'Evaluation sites', channels: 'Notification channels', settings: 'Settings', audit: 'Audit log' },
      homeHint: 'Units, users, problem categories, grids and office settings; every change is written to the audit log.',
      save: 'Save', cancel: 'Cancel', edit: 'Edit', create: 'Create', saved: 'Saved', loading: 'Loading…', empty: 'Nothing yet',
      active: 'Active', inactive: 'Deactivated', deactivate: 'Deactivate', reactivate: 'Reactivate', actions: 'Actions', reload: 'Reload',
      none: 'None', errorTitle: 'The server refused this', confirm: 'OK', more: 'Load more', viewAll: 'View all',
      units: {
        title: 'Units', name: 'Name', kind: 'Kind', parent: 'Parent unit', top: '(top level)', users: 'Users', grids: 'Grids', open: 'Open tickets',
        add: 'New unit', addChild: 'Add sub-unit', rename: 'Edit', created: 'Unit {name} created',
        confirmDeactivate: 'Deactivate unit "{name}"? Its open tickets, sub-units, grids and users must be moved first.',
        kinds: { department: 'Department', district: 'District', street: 'Street', company: 'Company' },
      },
      users: {
        title: 'Users', username: 'Username', displayName: 'Name', role: 'Role', unit: 'Unit', lastLogin: 'Last login', never: 'Never',
        devices: 'Devices logged in', password: 'Password', passwordRule: 'At least 8 characters, not only digits, not the username', add: 'New user',
        created: 'User {name} created', resetPassword: 'Reset password', newPassword: 'New password', revoke: 'Log out everywhere',
        confirmRevoke: 'Log "{name}" out on every device (a lost phone)? Their next request is refused; they must log in again.',
        revoked: '{n} login(s) revoked', passwordSet: 'Password reset; {n} login(s) revoked',
        confirmDeactivate: 'Deactivate user "{name}"? All their logins are revoked.', filterRole: 'All roles', filterActive: 'Any state', unitNeeded: 'A unit staff user needs a unit',
      },
      categories: {
        title: 'Problem categories', code: 'Code', name: 'Name', deadline: 'Deadline (hours)', defaultUnit: 'Default unit', enabled: 'Selectable',
        deadlineHint: 'Empty: the system default', filter: 'Search code or name',
      },
      grids: {
        title: 'Grids', import: 'Import GeoJSON', importHint: 'A GeoJSON FeatureCollection; each feature\'s properties: name, and unit_id or unit (a unit\'s name). All or nothing.',
        file: 'Choose file', imported: '{n} grid(s) imported', badFile: 'The file is not valid JSON', name: 'Name', unit: 'Unit', area: 'Area',
        check: 'Check overlaps and gaps', checked: 'Check: {grids} active grids, {overlaps} overlap(s), {gaps} gap(s)', overlaps: 'Overlaps', gaps: 'Gaps',
        noProblems: 'No overlaps, no gaps', pair: '{a} ↔ {b}', map: 'Grid map', assign: 'Assign', count: '{n} grids',
        draw: 'Draw a new grid', editShape: 'Edit boundary', drawHint: 'Click each vertex on the map, then click the first vertex to close the polygon.',
        drawnHint: 'Drag vertices to adjust; give a name and a unit, then save.', editHint: 'Drag vertices to change the boundary, drag an edge midpoint to add one; Cancel restores it.',
        selectFirst: 'Select a grid in the list or on the map first', created: 'Grid {name} created', redrawn: 'Boundary of {name} saved',
        editing: 'Editing: {name}', mine: '{overlaps} overlap(s) with other grids',
      },
      settings: {
        title: 'Settings', map: 'Map tiles', crs: 'Coordinate system', crsWgs84: 'WGS-84 (Tianditu, OSM)', crsGcj02: 'GCJ-02 (Amap, Tencent)',
        layers: 'Layers (URL templates, one a line: base first)', subdomains: 'Subdomains', attribution: 'Attribution', centre: 'Map centre (lat, lng)',
        source: 'Source', sourceOffice: 'Set by the office', sourceDefault: 'Deployment default', resetDefault: 'Back to default', rank: 'Red/black list rules',
        redMinRate: 'Red list: closure rate at least', redTop: 'Red list: rank at most', blackMaxRate: 'Black list: closure rate below', blackBottom: 'Black list: or among the bottom',
        minDispatched: 'Fewest tickets due to be ranked', calendar: 'Working calendar', year: 'Year', holidays: 'Public holidays (one date a line)',
        workdays: 'Make-up working days (one date a line)', deleteYear: 'Remove this year', calendarYears: 'Years set', datesHint: 'Format YYYY-MM-DD',
        confirmReset: 'Back to the deployment\'s default?',
      },
      channels: {
        title: 'Notification channels', hint: 'WeCom or DingTalk group robots, a webhook or an SMS gateway; URLs and secrets are write-only.', add: 'New channel', name: 'Name', kind: 'Kind',
        unit: 'Unit', office: '(the office)', url: 'Webhook URL', secret: 'Secret (DingTalk signing or token)', keep: 'Leave empty to keep', rate: 'Per minute',
        phones: 'SMS numbers (comma-separated)', template: 'SMS template', host: 'Host', hasSecret: 'secret set', sent: 'Sent', queued: 'Queued', failed: 'Failed',
        lastError: 'Last error', kinds: { wecom: 'WeCom robot', dingtalk: 'DingTalk robot', webhook: 'Webhook', sms: 'SMS gateway' },
      },
      sites: {
        title: 'Evaluation sites', search: 'Search name, address or code', type: 'Site type', allTypes: 'All types', count: '{n} sites', add: 'New site',
        name: 'Name', code: 'Site code', unit: 'Unit', lat: 'Latitude', lng: 'Longitude', address: 'Address', contact: 'Contact', phone: 'Phone',
        rounds: 'Evaluation rounds', importHint: 'Bulk import (Excel/CSV/GeoJSON): python -m app.cli import-sites or POST /api/evaluation/sites/import.',
      },
      audit: {
        title: 'Audit log', when: 'When', who: 'Who', what: 'Action', entity: 'Object', change: 'Before → after', all: 'All objects',
        since: 'From', until: 'To', system: 'System',
        types: { unit: 'Unit', user: 'User', grid: 'Grid', category: 'Category', settings: 'Settings', channel: 'Notification channel', subscription: 'Personal SMS', site: 'Evaluation site', checklist: 'Checklist' },
      },
    },
  },
}

for (const [locale, m] of Object.entries(messages)) i18n.global.mergeLocaleMessage(locale, m)
