import { describe, it, expect } from 'vitest'
import { ApiError } from '../src/api/client'
import { errorText } from '../src/features/admin/api'

describe('the server\'s refusal as the admin screens show it', () => {
  it('is the message alone when there are no field errors', () => {
    expect(errorText(new ApiError(409, 'duplicate_name', '已有同名单位 A unit named \'x\' exists'))).toBe('已有同名单位 A unit named \'x\' exists')
  })
  it('names each field of a validation error, without the body prefix', () => {
    const err = new ApiError(422, 'validation_error', '请求参数有误 Invalid request', [
      { loc: ['body', 'password'], msg: 'Value error, 密码过短', type: 'value_error' },
      { loc: ['body', 'username'], msg: 'String should match pattern', type: 'string_pattern_mismatch' },
    ])
    expect(errorText(err)).toBe('请求参数有误 Invalid request (password: Value error, 密码过短; username: String should match pattern)')
  })
  it('numbers the bad features of a grid import from 1', () => {
    const err = new ApiError(422, 'invalid_grids', '1 个要素有误', [{ feature: 0, message: 'Self-intersection' }])
    expect(errorText(err)).toBe('1 个要素有误 (#1: Self-intersection)')
  })
  it('says the rules a weak password breaks in the app\'s language, each once', async () => {
    const { i18n } = await import('../src/i18n/index')
    const err = new ApiError(422, 'weak_password', '密码不符合规则 Password too weak: 密码至少 8 位 at least 8 characters; 密码不能全是数字 not only digits',
      ['密码至少 8 位 at least 8 characters', '密码不能全是数字 not only digits'])
    i18n.global.locale.value = 'zh-CN'
    expect(errorText(err)).toBe('密码不符合规则：密码至少 8 位；密码不能全是数字')
    i18n.global.locale.value = 'en'
    expect(errorText(err)).toBe('Password too weak: at least 8 characters; not only digits')
    i18n.global.locale.value = 'zh-CN'
  })
  it('says what a network failure is', () => {
    expect(errorText(new ApiError(0, 'network', 'Failed to fetch'))).toBe('Failed to fetch')
  })
})

describe('a server text written "中文 English" in one language', () => {
  it('splits the rules a weak password breaks, as the server words them', async () => {
    const { inLanguage } = await import('../src/features/admin/api')
    const rules: [string, string, string][] = [
      ['密码至少 8 位 at least 8 characters', '密码至少 8 位', 'at least 8 characters'],
      ['密码不能全是数字 not only digits', '密码不能全是数字', 'not only digits'],
      ['密码须含字母、数字、符号中的两类（或至少 16 位） two kinds of letters, digits and symbols (or 16 characters)',
        '密码须含字母、数字、符号中的两类（或至少 16 位）', 'two kinds of letters, digits and symbols (or 16 characters)'],
      ['密码过于常见 not a common password', '密码过于常见', 'not a common password'],
    ]
    for (const [text, zh, en] of rules) {
      expect(inLanguage(text, 'zh-CN')).toBe(zh)
      expect(inLanguage(text, 'en')).toBe(en)
    }
    // Mixed otherwise: kept whole.
    expect(inLanguage('密码不符合规则 Password too weak: 密码至少 8 位 at least 8', 'en')).toContain('密码不符合规则')
    expect(inLanguage('only English', 'zh-CN')).toBe('only English')
  })
})

import { districtFromName, kindFromName } from '../src/features/admin/unitKind'

describe('a new unit’s kind from its name', () => {
  it('reads street offices, districts, companies and departments as their names say', () => {
    expect(kindFromName('光明街道办事处')).toBe('street')
    expect(kindFromName('新华街道')).toBe('street')
    expect(kindFromName('城关镇人民政府')).toBe('street')
    expect(kindFromName('东城区人民政府')).toBe('district')
    expect(kindFromName('西湖区')).toBe('district')
    expect(kindFromName('杭州公交集团')).toBe('company')
    expect(kindFromName('某某物业服务有限公司')).toBe('company')
    expect(kindFromName('市城市管理局')).toBe('department')
    expect(kindFromName('市公安局交通警察支队')).toBe('department')
    expect(kindFromName('市住房和城乡建设委员会')).toBe('department')
  })
  it('guesses nothing from a name that says nothing', () => {
    expect(kindFromName('')).toBeNull()
    expect(kindFromName('光明')).toBeNull()
  })
})

describe('a new street office’s district from its name', () => {
  const units = [
    { id: 1, name: '东城区人民政府', kind: 'district', is_active: true },
    { id: 2, name: '西城区政府', kind: 'district', is_active: true },
    { id: 3, name: '东城区城管局', kind: 'department', is_active: true },
    { id: 4, name: '南城区人民政府', kind: 'district', is_active: false },
  ]
  it('is the one district whose name begins the street office’s', () => {
    expect(districtFromName('东城区光明街道办事处', units)?.id).toBe(1)
    expect(districtFromName('西城区新华街道', units)?.id).toBe(2)
  })
  it('is none when no active district, or more than one, begins it', () => {
    expect(districtFromName('光明街道办事处', units)).toBeNull()
    expect(districtFromName('南城区红星街道', units)).toBeNull()
    expect(districtFromName('东城区', units)).toBeNull()
    expect(districtFromName('东城区光明街道', [...units, { id: 5, name: '东城区', kind: 'district', is_active: true }]))
      .toBeNull()
  })
})

import { messageInLanguage } from '../src/lib/language'

describe('a server message in the reader\'s language', () => {
  it.each([
    ['整改时限须晚于当前时间 Deadline must be in the future', '整改时限须晚于当前时间', 'Deadline must be in the future'],
    ['请求内容过大（上限 10240 KB） Request body too large', '请求内容过大（上限 10240 KB）', 'Request body too large'],
    ['案件 XC-2026-000001 刚被他人处理，未作任何更改 Ticket XC-2026-000001 changed meanwhile; nothing was changed',
      '案件 XC-2026-000001 刚被他人处理，未作任何更改', 'Ticket XC-2026-000001 changed meanwhile; nothing was changed'],
    ['不是有效的JSON文件 Not valid JSON', '不是有效的JSON文件', 'Not valid JSON'],
    ["已有同名单位 A unit named '市城市管理局' exists", '已有同名单位', "A unit named '市城市管理局' exists"],
    ["用户名已存在 Username '张三' is taken", '用户名已存在', "Username '张三' is taken"],
  ])('splits %s', (text, zh, en) => {
    expect(messageInLanguage(text, 'zh-CN')).toBe(zh)
    expect(messageInLanguage(text, 'en')).toBe(en)
  })
  it.each([
    '已有同名单位 A unit named 向阳街道 exists', // a name unquoted in the English half: no certain split
    'CSV 格式错误 malformed CSV (line 3)', // English words in the Chinese half
    '任务状态为 active，不能再指派 Round is active; assignments are fixed',
    '用户名或密码错误', 'Wrong username or password', '',
  ])('leaves %s whole', (text) => {
    expect(messageInLanguage(text, 'en')).toBe(text)
    expect(messageInLanguage(text, 'zh-CN')).toBe(text)
  })
})
