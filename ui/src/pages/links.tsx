import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ListTable } from '../components/list-table';
import { ErrorBox, KeyValues, Link } from '../components/ui';
import { useAction, useLoad } from '../use-load';

interface SourceJson {
  id: string;
  mode: string;
  platform: string | null;
  params: Record<string, string>;
  postback_url: string;
  forward_statuses: string[];
  allow_ips: string[];
}
interface LinkJson {
  id: string;
  offer_url: string;
  description: string | null;
  click_url: string;
}

function SourceCard({ s }: { s: SourceJson }) {
  const [fields, setFields] = useState<Record<string, string>>({});
  const secret = useAction<{ secret: string }>();
  const sample = useAction<Record<string, unknown>>();
  const url = secret.result ? s.postback_url.replace('{secret}', encodeURIComponent(secret.result.secret)) : s.postback_url;
  return (
    <article class="card" data-source={s.id}>
      <h2>Source {s.id}</h2>
      <p class="muted">
        {s.mode === 'direct'
          ? `direct: the postback carries the ad platform's own click id${s.platform ? ` (${s.platform})` : ''}`
          : 'tracked: the postback carries the click id Closeloop gave the click'}
      </p>
      <h4>Paste this URL into the network's postback settings</h4>
      <pre class="code paste">{url}</pre>
      <p class="muted small">Keep the {'{ }'} macros exactly as they are and do not URL-encode them: the network fills them in when it fires.</p>
      <div class="actions">
        {secret.result ? (
          <button type="button" class="ghost" onClick={secret.clear}>
            Hide the secret
          </button>
        ) : (
          <button type="button" class="ghost" disabled={secret.busy} onClick={() => secret.run(() => get(`/v1/sources/${s.id}/secret`))}>
            Show the secret
          </button>
        )}
      </div>
      <form
        class="filters inline"
        onSubmit={(e) => {
          e.preventDefault();
          void sample.run(() => post(`/v1/sources/${s.id}/sample`, Object.fromEntries(Object.entries(fields).filter(([, v]) => v))));
        }}
      >
        {(
          [
            ['click_id', 'Click id (optional)'],
            ['tx_id', 'Transaction id (optional)'],
            ['payout', 'Payout (optional)'],
          ] as const
        ).map(([k, l]) => (
          <label key={k}>
            {l}
            <input name={k} value={fields[k] ?? ''} onInput={(e) => setFields({ ...fields, [k]: (e.target as HTMLInputElement).value })} />
          </label>
        ))}
        <div class="actions">
          <button type="submit" disabled={sample.busy}>
            Fire a sample postback
          </button>
        </div>
      </form>
      <ErrorBox error={secret.error || sample.error} />
      {sample.result ? (
        <div class="notice ok" role="status">
          The gateway answered: <KeyValues data={sample.result} />
          {typeof sample.result.conversion_id === 'string' ? <Link to={`/conversions/${sample.result.conversion_id}`}>Open the conversion</Link> : null}
        </div>
      ) : null}
      <details>
        <summary>Parameter names and rules</summary>
        <KeyValues data={{ ...s.params, 'forwarded statuses': s.forward_statuses.join(', ') || 'all', 'allowed IPs': s.allow_ips.join(', ') || 'any' }} />
      </details>
    </article>
  );
}

/** What to paste where: click links for the ads, postback URLs for the networks. */
export function LinksPage() {
  const sources = useLoad(() => get<{ sources: SourceJson[] }>('/v1/sources'), 's');
  const links = useLoad(() => get<{ links: LinkJson[] }>('/v1/links'), 'l');
  return (
    <section>
      <h1>Links & sources</h1>
      <h2>Click links (put these in your ads)</h2>
      <ListTable
        rows={links.data?.links}
        error={links.error}
        errorTitle="Could not load links"
        empty="No link is configured (links: in the config)."
        rowKey={(l) => l.id}
        columns={[
          {
            head: 'link',
            cell: (l) => (
              <>
                {l.id}
                {l.description ? <div class="muted small">{l.description}</div> : null}
              </>
            ),
          },
          { head: 'click URL', cell: (l) => <code>{l.click_url}</code> },
          { head: 'sends the visitor to', cell: (l) => <code>{l.offer_url}</code>, class: 'wrap' },
        ]}
      />
      <h2>Sources (networks that fire postbacks at Closeloop)</h2>
      <ListTable
        rows={sources.data?.sources}
        error={sources.error}
        errorTitle="Could not load sources"
        empty="No source is configured (sources: in the config)."
        cards="cards"
        row={(s) => <SourceCard key={s.id} s={s} />}
      />
    </section>
  );
}
