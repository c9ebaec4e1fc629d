import { useState } from 'preact/hooks';
import { post } from '../api';
import { ErrorBox } from '../components/ui';

/** The admin token (admin.token in the config) buys a session cookie; the token is not kept in the browser. */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post('/v1/session', { token });
      setToken('');
      onSignedIn();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} class="card">
        <h1>Closeloop console</h1>
        <p class="muted">
          Sign in with the gateway's admin token (<code>admin.token</code> in its configuration).
        </p>
        <label>
          Admin token
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        <ErrorBox error={error} title="Could not sign in" />
        <button type="submit" disabled={busy || token === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
