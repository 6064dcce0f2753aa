export { AdminModule } from './admin.module';
export { startAdmin, type RunningAdmin } from './start-admin';
export { resolveAdminSettings, type AdminOptions, type AdminSettings } from './admin-settings';
export { AdminBackend, replayPosition } from './backend/admin-backend';
export type * from './backend/runtime';
export type * from '@distributary/admin-contract';
export { TokenStore, parseTokenList, type AdminToken } from './auth/token-store';
export { TOKEN_COOKIE } from './auth/request-token';
