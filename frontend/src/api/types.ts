/**
 * Names for the API's schemas, generated from the server's OpenAPI (./schema.d.ts, `make api-types`).
 * Import them as types: `import type { TicketDetail } from '../../api/types'`.
 */

import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type ErrorBody = Schemas['ErrorBody']
export type ErrorDetail = Schemas['ErrorDetail']
export type Status = Schemas['Status']
export type Action = Schemas['Action']
export type Role = Schemas['Role']
export type UnitKind = Schemas['UnitKind']
export type PhotoStage = Schemas['PhotoStage']
export type UserPublic = Schemas['UserPublic']
export type TokenResponse = Schemas['TokenResponse']
export type PublicConfig = Schemas['PublicConfig']
export type ActionInput = Schemas['ActionInput']
export type CategoryPublic = Schemas['CategoryPublic']
export type UnitPublic = Schemas['UnitPublic']
export type PhotoPublic = Schemas['PhotoPublic']
export type TicketSummary = Schemas['TicketSummary']
export type TicketDetail = Schemas['TicketDetail']
export type TicketPage = Schemas['TicketPage']
export type TicketCreate = Schemas['TicketCreate']
export type DispatchIn = Schemas['DispatchIn']
export type BulkDispatchIn = Schemas['BulkDispatchIn']
export type BulkCancelIn = Schemas['BulkCancelIn']
export type BulkResult = Schemas['BulkResult']
export type ReturnIn = Schemas['ReturnIn']
export type RectifyIn = Schemas['RectifyIn']
export type VerifyIn = Schemas['VerifyIn']
export type CancelIn = Schemas['CancelIn']
export type RequestIn = Schemas['RequestIn']
export type DecisionIn = Schemas['DecisionIn']
export type ResumeIn = Schemas['ResumeIn']
export type VoidIn = Schemas['VoidIn']
export type UrgeIn = Schemas['UrgeIn']
export type SuperviseIn = Schemas['SuperviseIn']
export type RequestOut = Schemas['RequestOut']
export type RequestItem = Schemas['RequestItem']
export type RequestPage = Schemas['RequestPage']
export type ExceptionRow = Schemas['ExceptionRow']
export type ExceptionPage = Schemas['ExceptionPage']

/**
 * Each workflow endpoint under /api/tickets/{id}/ and its request body. A decision's endpoint carries the
 * request's id: requests/{request_id}/decision.
 */
export type ActionBodies = {
  dispatch: DispatchIn; return: ReturnIn; rectify: RectifyIn; verify: VerifyIn; cancel: CancelIn
  requests: RequestIn; resume: ResumeIn; void: VoidIn; urge: UrgeIn; supervise: SuperviseIn;
  [decision: `requests/${string}/decision`]: DecisionIn
}
export type ActionEndpoint = keyof ActionBodies

export {}
export type SiteTypeOut = Schemas['SiteTypeOut']
export type SiteOut = Schemas['SiteOut']
export type SiteIn = Schemas['SiteIn']
export type SitePatch = Schemas['SitePatch']
export type ChannelIn = Schemas['ChannelIn']
export type ChannelOut = Schemas['ChannelOut']
export type ChannelPatch = Schemas['ChannelPatch']
export type SitePage = Schemas['SitePage']
export type RoundState = Schemas['RoundState']
export type RoundIn = Schemas['RoundIn']
export type RoundOut = Schemas['RoundOut']
export type RoundPage = Schemas['RoundPage']
export type RoundDetail = Schemas['RoundDetail']
export type RoundReportOut = Schemas['RoundReportOut']
export type TicketOrigin = Schemas['TicketOrigin']
export type FollowupIn = Schemas['FollowupIn']
export type AssignmentsIn = Schemas['AssignmentsIn']
export type InspectorOut = Schemas['InspectorOut']
export type MySiteOut = Schemas['MySiteOut']
export type ChecklistItemOut = Schemas['ChecklistItemOut']
export type ChecklistOut = Schemas['ChecklistOut']
export type ResultIn = Schemas['ResultIn']
export type ResultOut = Schemas['ResultOut']
export type AnswerOut = Schemas['AnswerOut']

/** The JSON that a GET on an API path answers with (its 200 response), from the generated paths. */
export type GetResponse<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer R } } } }
}
  ? R
  : never
export type GridAdmin = Schemas['GridAdmin']
export type GridGap = Schemas['GridGap']
export type GridOverlap = Schemas['GridOverlap']
export type Summary = Schemas['Summary']
export type Ranking = Schemas['Ranking']
export type Trend = Schemas['Trend']
export type ChecklistIn = Schemas['ChecklistIn']
export type ChecklistItemIn = Schemas['ChecklistItemIn']
export type ChecklistSummary = Schemas['ChecklistSummary']
export type DeductionRule = Schemas['DeductionRule']
export type UserAdmin = Schemas['UserAdmin']
export type SubscriptionIn = Schemas['SubscriptionIn']
export type SubscriptionOut = Schemas['SubscriptionOut']
/** A kind of message (the inbox's, a person's SMS, a template's, a route's). */
export type MessageKind = SubscriptionIn['kinds'][number]
export type ChannelKind = ChannelIn['kind']
export type NotifySettingsIn = Schemas['SettingsIn']
export type NotifySettingsOut = Schemas['SettingsOut']
