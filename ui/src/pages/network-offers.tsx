import { useState } from 'preact/hooks';
import { get, post, put } from '../api';
import { ListTable } from '../components/list-table';
import { Badge, ErrorBox } from '../components/ui';
import { useAction, useLoad } from '../use-load';

export interface OfferJson {
  id: number;
  name: string;
  status: string;
  currency: string;
  payout_type: string;
  payout_amount: string;
  revenue_type: string;
  revenue_amount: string;
  allow_duplicates: boolean;
  fire_postbacks: boolean;
  events: Array<{ id: number; name: string; payout_amount: string | null; revenue_amount: string | null; fire_postbacks: boolean }>;
}
export interface PartnerJson {
  id: number;
  name: string;
  status: string;
}

/**
 * PUT is a full replacement (https://developers-beta.everflow.io/api-reference/put-affiliatespixel): send
 * every field back, changed or not.
 */
const offerBody = (o: OfferJson, changes: Partial<OfferJson>) => {
  const { id: _id, ...rest } = { ...o, ...changes } as OfferJson & { created_at?: number; updated_at?: number };
  const { created_at: _c, updated_at: _u, ...fields } = rest;
  // The API shows an event's missing amounts as null; its input omits them.
  const events = fields.events.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null)));
  return { ...fields, events };
};

/** The fields an offer is created and edited with here (the rest keep their defaults or values). */
const OFFER_FIELDS: Array<[string, string]> = [
  ['name', 'Name'],
  ['payout_amount', 'Payout'],
  ['revenue_amount', 'Revenue'],
];

function NameForm({ label, fields, onSave }: { label: string; fields: Array<[string, string]>; onSave: (values: Record<string, string>) => Promise<unknown> }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const save = useAction();
  return (
    <form
      class="filters inline"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await save.run(() => onSave(values))) setValues({});
      }}
    >
      {fields.map(([k, l]) => (
        <label key={k}>
          {l}
          <input name={k} value={values[k] ?? ''} onInput={(e) => setValues({ ...values, [k]: (e.target as HTMLInputElement).value })} />
        </label>
      ))}
      <div class="actions">
        <button type="submit" disabled={save.busy}>
          {label}
        </button>
      </div>
      <ErrorBox error={save.error} />
    </form>
  );
}

function Toggle({ status, onSet }: { status: string; onSet: (s: string) => Promise<unknown> }) {
  const act = useAction();
  return (
    <>
      <button type="button" class="ghost" disabled={act.busy} onClick={() => act.run(() => onSet(status === 'active' ? 'inactive' : 'active'))}>
        {status === 'active' ? 'Disable' : 'Enable'}
      </button>
      <ErrorBox error={act.error} />
    </>
  );
}

/** Edit in place: the row's fields, saved with PUT (a full replacement built by `body`). */
function Edit({
  fields,
  initial,
  onSave,
}: {
  fields: Array<[string, string]>;
  initial: Record<string, string>;
  onSave: (values: Record<string, string>) => Promise<unknown>;
}) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState(initial);
  const save = useAction();
  if (!open)
    return (
      <button
        type="button"
        class="ghost"
        onClick={() => {
          setValues(initial);
          setOpen(true);
        }}
      >
        Edit
      </button>
    );
  return (
    <form
      class="filters inline"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await save.run(() => onSave(values))) setOpen(false);
      }}
    >
      {fields.map(([k, l]) => (
        <label key={k}>
          {l}
          <input name={k} value={values[k] ?? ''} onInput={(e) => setValues({ ...values, [k]: (e.target as HTMLInputElement).value })} />
        </label>
      ))}
      <div class="actions">
        <button type="submit" disabled={save.busy}>
          Save
        </button>
        <button type="button" class="ghost" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <ErrorBox error={save.error} />
    </form>
  );
}

export function NetworkOffersPage() {
  const offers = useLoad(() => get<{ offers: OfferJson[] }>('/v1/network/offers'), 'o');
  const partners = useLoad(() => get<{ partners: PartnerJson[] }>('/v1/network/partners'), 'p');
  return (
    <section>
      <h1>Offers & partners</h1>
      <h2>Offers</h2>
      <NameForm
        label="Create offer"
        fields={OFFER_FIELDS}
        onSave={(v) =>
          post('/v1/network/offers', {
            name: v.name,
            ...(v.payout_amount ? { payout_amount: v.payout_amount } : {}),
            ...(v.revenue_amount ? { revenue_amount: v.revenue_amount } : {}),
          }).then(offers.reload)
        }
      />
      <ListTable
        rows={offers.data?.offers}
        error={offers.error}
        errorTitle="Could not load offers"
        empty="No offer yet: create one above."
        rowKey={(o) => o.id}
        columns={[
          { head: 'id', cell: (o) => o.id },
          { head: 'name', cell: (o) => o.name },
          { head: 'status', cell: (o) => <Badge value={o.status} /> },
          { head: 'payout', cell: (o) => `${o.payout_amount} ${o.currency} (${o.payout_type})` },
          { head: 'revenue', cell: (o) => o.revenue_amount },
          { head: 'events', cell: (o) => o.events.map((e) => e.name).join(', ') || '—' },
          {
            head: '',
            cell: (o) => (
              <>
                <Toggle status={o.status} onSet={(s) => put(`/v1/network/offers/${o.id}`, offerBody(o, { status: s })).then(offers.reload)} />
                <Edit
                  fields={OFFER_FIELDS}
                  initial={{ name: o.name, payout_amount: o.payout_amount, revenue_amount: o.revenue_amount }}
                  onSave={(v) => put(`/v1/network/offers/${o.id}`, offerBody(o, v as Partial<OfferJson>)).then(offers.reload)}
                />
              </>
            ),
          },
        ]}
      />
      <h2>Partners</h2>
      <NameForm label="Create partner" fields={[['name', 'Name']]} onSave={(v) => post('/v1/network/partners', { name: v.name }).then(partners.reload)} />
      <ListTable
        rows={partners.data?.partners}
        error={partners.error}
        errorTitle="Could not load partners"
        empty="No partner yet: create one above."
        rowKey={(p) => p.id}
        columns={[
          { head: 'id', cell: (p) => p.id },
          { head: 'name', cell: (p) => p.name },
          { head: 'status', cell: (p) => <Badge value={p.status} /> },
          {
            head: '',
            cell: (p) => (
              <>
                <Toggle status={p.status} onSet={(s) => put(`/v1/network/partners/${p.id}`, { name: p.name, status: s }).then(partners.reload)} />
                <Edit
                  fields={[['name', 'Name']]}
                  initial={{ name: p.name }}
                  onSave={(v) => put(`/v1/network/partners/${p.id}`, { name: v.name, status: p.status }).then(partners.reload)}
                />
              </>
            ),
          },
        ]}
      />
    </section>
  );
}
