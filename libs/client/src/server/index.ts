export { issueToken, DEFAULT_TOKEN_TTL_SECONDS, type IssueTokenOptions } from './issue-token';
