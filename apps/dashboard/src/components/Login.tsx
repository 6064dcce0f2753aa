import { useState, type FormEvent } from 'react';
import { api, ApiError, storeToken } from '../api';
import type { Role } from '../types';

/** Token login: checked against the API, then kept in sessionStorage for this tab. */
export function Login({ onLogin }: { onLogin(role: Role): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<{ role: Role }>('/api/session', { token: token.trim() });
      storeToken(token.trim());
      onLogin(session.role);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That token is not valid.'
          : `Cannot reach the admin API: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <form className="login-card" onSubmit={submit}>
        <div className="brand large">
          <span className="brand-mark" aria-hidden="true" />
          Distributary
        </div>
        <p className="muted">Change data capture from PostgreSQL to every derived store. Sign in with an API token.</p>
        <label className="field">
          <span>API token</span>
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="viewer or operator token"
            autoFocus
          />
        </label>
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        <button className="button primary wide" type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="hint">Tokens come from admin.tokens in the config or DISTRIBUTARY_ADMIN_TOKENS.</p>
      </form>
    </div>
  );
}
