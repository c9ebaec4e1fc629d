import { useState } from 'preact/hooks';
import { post } from '../api';
import { useAction } from '../use-load';
import { NetDebugView, type NetDebug } from './network-debug';
import { ErrorBox } from './ui';

/**
 * Seed 001: "Always verify the destination is responding 200 OK before re-enabling." The button
 * test-fires first, shows the destination's answer, and re-enables only after a success.
 */
export function ReEnable({ postbackId, onDone }: { postbackId: number; onDone: () => void }) {
  const [replay, setReplay] = useState(false);
  const test = useAction<{ debug?: NetDebug; request_body?: string | null }>();
  const enable = useAction<{ replayed: number }>();
  const run = async () => {
    enable.clear();
    const r = await test.run(() => post(`/v1/network/postbacks/${postbackId}/test`, { params: {} }));
    if (r?.debug?.outcome === 'succeeded') {
      const e = await enable.run(() => post(`/v1/network/postbacks/${postbackId}/enable`, { replay_skipped: replay }));
      if (e) onDone();
    }
  };
  const failed = test.result?.debug && test.result.debug.outcome !== 'succeeded';
  return (
    <div class="reenable">
      <div class="actions">
        <button type="button" disabled={test.busy || enable.busy} onClick={run}>
          {test.busy ? 'Test firing…' : 'Test fire, then re-enable'}
        </button>
        <label class="check">
          <input type="checkbox" checked={replay} onChange={(e) => setReplay((e.target as HTMLInputElement).checked)} /> also send what was skipped while it was
          off
        </label>
      </div>
      <ErrorBox error={test.error || enable.error} />
      {failed ? (
        <div class="notice bad" role="status">
          The test fire failed, so the postback stays deactivated. Fix the URL or the destination, then try again.
        </div>
      ) : null}
      {enable.result ? (
        <div class="notice ok" role="status">
          Re-enabled after a successful test fire{enable.result.replayed ? `; ${enable.result.replayed} skipped fires queued again` : ''}.
        </div>
      ) : null}
      {test.result?.debug ? <NetDebugView d={test.result.debug} body={test.result.request_body} /> : null}
    </div>
  );
}
