import { post } from '../api';
import { get } from '../api';
import { AttemptDebug, type AttemptJson } from '../components/debug-info';
import { MatchQuality, type MatchQualityJson } from '../components/match-quality';
import { ListTable } from '../components/list-table';
import { Badge, ErrorBox, Time } from '../components/ui';
import { useAction, useLoad } from '../use-load';

export interface DestinationJson {
  id: string;
  connector: string;
  enabled: boolean;
  paused: boolean;
  paused_reason: string | null;
  paused_at: number | null;
  consecutive_failures: number;
  last_success_at: number | null;
}

function health(d: DestinationJson): { value: string; label: string } {
  if (!d.enabled) return { value: 'inactive', label: 'disabled in the config' };
  if (d.paused) return { value: 'paused', label: 'paused' };
  if (d.consecutive_failures > 0) return { value: 'failing', label: `failing (${d.consecutive_failures} in a row)` };
  return { value: 'ok', label: 'ok' };
}

function Card({ d, quality, onChange }: { d: DestinationJson; quality: MatchQualityJson | undefined; onChange: () => void }) {
  const resume = useAction();
  const test = useAction<AttemptJson & { ok: boolean }>();
  const verify = useAction<{ supported: boolean; ok: boolean | null; message?: string; failure?: { kind: string; message: string } }>();
  const h = health(d);
  return (
    <article class="card dest" data-destination={d.id}>
      <div class="title-row">
        <h2>{d.id}</h2>
        <Badge value={h.value} label={h.label} />
      </div>
      <p class="muted">{d.connector}</p>
      <dl class="facts">
        <dt>Last success</dt>
        <dd>
          <Time ms={d.last_success_at} />
        </dd>
        <dt>Failure streak</dt>
        <dd>{d.consecutive_failures}</dd>
        {d.paused ? (
          <>
            <dt>Paused</dt>
            <dd>
              <Time ms={d.paused_at} /> — {d.paused_reason}
            </dd>
          </>
        ) : null}
      </dl>
      <MatchQuality q={quality} windowLabel="last 7 days" />
      <div class="actions">
        {d.paused ? (
          <button type="button" disabled={resume.busy} onClick={() => resume.run(() => post(`/v1/destinations/${d.id}/resume`)).then((r) => r && onChange())}>
            Resume
          </button>
        ) : null}
        <button type="button" class="ghost" disabled={test.busy} onClick={() => test.run(() => post(`/v1/destinations/${d.id}/test`, {}))}>
          {test.busy ? 'Sending…' : 'Send test conversion'}
        </button>
        <button type="button" class="ghost" disabled={verify.busy} onClick={() => verify.run(() => post(`/v1/destinations/${d.id}/verify`))}>
          Verify credentials
        </button>
      </div>
      <ErrorBox error={resume.error || test.error || verify.error} />
      {verify.result ? (
        <div class={`notice ${verify.result.ok ? 'ok' : verify.result.ok === false ? 'bad' : ''}`} role="status">
          {verify.result.supported === false
            ? verify.result.message
            : verify.result.ok
              ? 'Credentials accepted.'
              : `Credentials refused: ${verify.result.failure?.message ?? ''} (${verify.result.failure?.kind ?? ''})`}
        </div>
      ) : null}
      {test.result ? (
        <div class="test-result" role="status">
          <div class={`notice ${test.result.ok ? 'ok' : 'bad'}`}>
            {test.result.ok ? 'Test conversion accepted (platform test mode; nothing stored).' : 'The test conversion failed — see the answer below.'}
          </div>
          <AttemptDebug a={test.result} />
        </div>
      ) : null}
    </article>
  );
}

export function DestinationsPage() {
  const { data, error, reload } = useLoad(() => get<{ destinations: DestinationJson[] }>('/v1/destinations'), 'd');
  // Loaded apart from the list: the cards show while it comes, and its failure is shown on its own.
  const quality = useLoad(() => get<{ destinations: MatchQualityJson[] }>('/v1/stats/match-quality?window=7d'), 'mq');
  const byId = new Map((quality.data?.destinations ?? []).map((q) => [q.destination, q]));
  return (
    <section>
      <h1>Destinations</h1>
      <ErrorBox error={quality.error} title="Could not load match quality" />
      <ListTable
        rows={data?.destinations}
        error={error}
        errorTitle="Could not load destinations"
        empty={
          <>
            No destination is configured. Add one under <code>destinations:</code> in the gateway's config file.
          </>
        }
        cards="cards"
        row={(d) => <Card key={d.id} d={d} quality={byId.get(d.id)} onChange={reload} />}
      />
    </section>
  );
}
