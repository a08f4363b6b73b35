/** Compliance alerts: policies as code, scanning, the alert state machine, Slack and Salesforce delivery. */
export { getAlert, listAlerts, raiseAlerts, transitionAlert, TransitionError, type Alert, type AlertFilter } from './alerts/alerts.ts';
export { complianceExamples, type ComplianceExample } from './examples.ts';
export { alertNotifyHandler, complianceScanHandler, documentScanHandler, policiesFor } from './handler.ts';
export { scanDocument, uploadAuthor } from './scan-document.ts';
export { compilePolicies, loadPolicies, PolicyFileError, type PolicySet } from './policies/policies.ts';
export { enqueueScansForConversations, scanBacklog, scanMessage } from './scan.ts';
export { decideFromSlack, type SlackDecision } from './alerts/slack-actions.ts';
export { alertActionFor, alertBlocks, ALERT_ACTIONS } from './alerts/slack-view.ts';
export { ALERT_STATUSES, canTransition, TRANSITIONS } from './alerts/transitions.ts';
