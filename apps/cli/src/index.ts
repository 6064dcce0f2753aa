export { buildProgram } from './program';
export { main } from './main';
export { roles } from './roles/registry';
export type { RoleDefinition, RoleName, RunningRole } from './roles/role';
export { collectStatus, type PipelineStatus, type SinkStatus } from './status/collect-status';
export { renderStatus } from './status/render-status';
export { planSinkChanges, recordSettledSinks, describePlan } from './config-plan';
export { readSinkFingerprints, writeSinkFingerprints, deleteSinkFingerprints } from './fingerprint-store';
