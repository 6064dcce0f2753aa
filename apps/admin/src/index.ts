export { AdminModule } from './admin.module';
export { startAdmin, type RunningAdmin } from './start-admin';
export { resolveAdminSettings, type AdminOptions, type AdminSettings } from './admin-settings';
export { PipelineStatus } from './backend/pipeline-status';
export { replayPosition } from './backend/replay-position';
export type * from './backend/runtime';
export type * from '@distributary/admin-contract';
export { TokenStore, parseTokenList, type AdminToken } from './auth/token-store';
export { TOKEN_COOKIE } from './auth/request-token';
