/**
 * Everything about a configuration that can be checked without a server, shared by `validate` and
 * `run`: the schema and cross-checks ran when it loaded; here the view SQL (real PostgreSQL parser)
 * and what the selected roles require (the admin API needs a token).
 */
import {
  ADMIN_TOKENS_ENV,
  ConfigFileError,
  formatPath,
  locateInFile,
  type ConfigIssue,
  type DistributaryConfig,
} from '@distributary/config';
import { viewSqlIssues } from './view-sql';
import type { RoleName } from '../roles/role';

export async function checkOffline(
  file: string,
  config: DistributaryConfig,
  roles: readonly RoleName[],
): Promise<void> {
  const issues: ConfigIssue[] = await viewSqlIssues(file, config);
  if (roles.includes('admin') && config.admin.tokens.length === 0) {
    const path = ['admin', 'tokens'];
    issues.push({
      path: formatPath(path),
      message: `expected at least one token for the admin API (admin.tokens with \${ENV}/\${file:…}, or ${ADMIN_TOKENS_ENV}="viewer:<token>,operator:<token>"), found none`,
      ...locateInFile(file, path),
    });
  }
  if (issues.length > 0) throw new ConfigFileError(file, issues);
}
