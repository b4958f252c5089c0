// @ts-check
/**
 * Names for the API's schemas, generated from the server's OpenAPI (./schema.d.ts, `make api-types`).
 * Use them in JSDoc: `@param {import('../../api/types').TicketDetail} t`.
 */

/** @typedef {import('./schema').components['schemas']} Schemas */
/** @typedef {Schemas['ErrorBody']} ErrorBody */
/** @typedef {Schemas['ErrorDetail']} ErrorDetail */
/** @typedef {Schemas['Status']} Status */
/** @typedef {Schemas['Action']} Action */
/** @typedef {Schemas['Role']} Role */
/** @typedef {Schemas['UnitKind']} UnitKind */
/** @typedef {Schemas['PhotoStage']} PhotoStage */
/** @typedef {Schemas['UserPublic']} UserPublic */
/** @typedef {Schemas['TokenResponse']} TokenResponse */
/** @typedef {Schemas['PublicConfig']} PublicConfig */
/** @typedef {Schemas['ActionInput']} ActionInput */
/** @typedef {Schemas['CategoryPublic']} CategoryPublic */
/** @typedef {Schemas['UnitPublic']} UnitPublic */
/** @typedef {Schemas['PhotoPublic']} PhotoPublic */
/** @typedef {Schemas['TicketSummary']} TicketSummary */
/** @typedef {Schemas['TicketDetail']} TicketDetail */
/** @typedef {Schemas['TicketPage']} TicketPage */
/** @typedef {Schemas['TicketCreate']} TicketCreate */
/** @typedef {Schemas['DispatchIn']} DispatchIn */
/** @typedef {Schemas['BulkDispatchIn']} BulkDispatchIn */
/** @typedef {Schemas['BulkCancelIn']} BulkCancelIn */
/** @typedef {Schemas['BulkResult']} BulkResult */
/** @typedef {Schemas['ReturnIn']} ReturnIn */
/** @typedef {Schemas['RectifyIn']} RectifyIn */
/** @typedef {Schemas['VerifyIn']} VerifyIn */
/** @typedef {Schemas['CancelIn']} CancelIn */
/** @typedef {Schemas['RequestIn']} RequestIn */
/** @typedef {Schemas['DecisionIn']} DecisionIn */
/** @typedef {Schemas['ResumeIn']} ResumeIn */
/** @typedef {Schemas['VoidIn']} VoidIn */
/** @typedef {Schemas['UrgeIn']} UrgeIn */
/** @typedef {Schemas['SuperviseIn']} SuperviseIn */
/** @typedef {Schemas['RequestOut']} RequestOut */
/** @typedef {Schemas['RequestItem']} RequestItem */
/** @typedef {Schemas['RequestPage']} RequestPage */
/** @typedef {Schemas['ExceptionRow']} ExceptionRow */
/** @typedef {Schemas['ExceptionPage']} ExceptionPage */

/**
 * Each workflow endpoint under /api/tickets/{id}/ and its request body. A decision's endpoint carries the
 * request's id: requests/{request_id}/decision.
 * @typedef {{dispatch: DispatchIn, return: ReturnIn, rectify: RectifyIn, verify: VerifyIn, cancel: CancelIn,
 *   requests: RequestIn, resume: ResumeIn, void: VoidIn, urge: UrgeIn, supervise: SuperviseIn,
 *   [decision: `requests/${string}/decision`]: DecisionIn}} ActionBodies
 */
/** @typedef {keyof ActionBodies} ActionEndpoint */

export {}
/** @typedef {Schemas['SiteTypeOut']} SiteTypeOut */
/** @typedef {Schemas['SiteOut']} SiteOut */
/** @typedef {Schemas['SitePage']} SitePage */
/** @typedef {Schemas['RoundState']} RoundState */
/** @typedef {Schemas['RoundIn']} RoundIn */
/** @typedef {Schemas['RoundOut']} RoundOut */
/** @typedef {Schemas['RoundPage']} RoundPage */
/** @typedef {Schemas['RoundDetail']} RoundDetail */
/** @typedef {Schemas['RoundReportOut']} RoundReportOut */
/** @typedef {Schemas['TicketOrigin']} TicketOrigin */
/** @typedef {Schemas['FollowupIn']} FollowupIn */
/** @typedef {Schemas['InspectorOut']} InspectorOut */
/** @typedef {Schemas['MySiteOut']} MySiteOut */
/** @typedef {Schemas['ChecklistItemOut']} ChecklistItemOut */
/** @typedef {Schemas['ChecklistOut']} ChecklistOut */
/** @typedef {Schemas['ResultIn']} ResultIn */
/** @typedef {Schemas['ResultOut']} ResultOut */
/** @typedef {Schemas['AnswerOut']} AnswerOut */
