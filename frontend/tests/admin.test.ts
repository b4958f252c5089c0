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
  it('does not repeat details its message already lists (a weak password)', () => {
    const err = new ApiError(422, 'weak_password', '密码不符合规则 Password too weak: 密码不能全是数字 not only digits',
      ['密码不能全是数字 not only digits'])
    expect(errorText(err)).toBe('密码不符合规则 Password too weak: 密码不能全是数字 not only digits')
  })
  it('says what a network failure is', () => {
    expect(errorText(new ApiError(0, 'network', 'Failed to fetch'))).toBe('Failed to fetch')
  })
})
