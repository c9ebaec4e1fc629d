import {
  defineConnector,
  DeliveryError,
  type ConnectorContext,
  type ConnectorIo,
  type DeliveryItem,
  type ItemOutcome,
  type Outcome,
  type PlatformRequest,
  type PlatformResponse,
} from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';
import { sheetsError } from './errors';
import { buildAppendRequest, dedupColumn, gridProbeUrl, lastRowOf, spreadsheetUrl, windowUrl } from './map';
import {
  DEDUP_MAX_READS,
  DEDUP_READ_ROWS,
  sheetsCredentialsSchema,
  sheetsSettingsSchema,
  type AppendBody,
  type SheetsCredentials,
  type SheetsSettings,
} from './schema';
import { accessToken, forgetAccessToken } from './token';

type Ctx = ConnectorContext<SheetsSettings, SheetsCredentials>;
type Call = (request: PlatformRequest) => Promise<PlatformResponse>;

/**
 * How `send` tells `classify` which rows it did not append because the sheet already had them.
 * Set on the response `send` returns; Google never sends it.
 */
export const PRESENT_HEADER = 'x-closeloop-already-present';

/**
 * Requests with a Bearer token, inside one deadline for the whole `send` (so the delivery lease
 * always outlives it). A 401 drops the cached token and tries once more with a fresh one: the
 * request was refused, not applied, so repeating it is safe.
 */
function authorizedCaller(io: ConnectorIo, ctx: Ctx, deadline: AbortSignal): Call {
  const key = ctx.credentials;
  return async (request) => {
    for (let tries = 0; ; tries++) {
      const token = await accessToken(io, key, ctx.now, deadline);
      const res = await io.http.send(
        { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } },
        { timeoutMs: io.timeoutMs, signal: deadline },
      );
      if (res.status !== 401 || tries > 0) return res;
      forgetAccessToken(key);
    }
  };
}

/**
 * dedup_key values of at least the newest `dedupWindowRows` rows: one probe for the grid size,
 * then reads of DEDUP_READ_ROWS rows upward from the bottom (empty rows come back as nothing).
 */
async function recentKeys(call: Call, s: SheetsSettings, column: string): Promise<Set<string>> {
  const accept = { accept: 'application/json' };
  const probe = await call({ method: 'GET', url: gridProbeUrl(s, column), headers: accept });
  if (probe.status < 200 || probe.status >= 300) throw sheetsError(probe);
  const rows = lastRowOf(String(parseJsonObject(probe.body)?.range ?? ''));
  if (rows === null) throw new DeliveryError('transient', `Google Sheets answered the grid probe without a range: ${probe.body.slice(0, 200)}`);
  const keys = new Set<string>();
  let last = rows;
  for (let reads = 0; last >= 1 && keys.size < s.dedupWindowRows && reads < DEDUP_MAX_READS; reads++) {
    const first = Math.max(1, last - DEDUP_READ_ROWS + 1);
    const res = await call({ method: 'GET', url: windowUrl(s, column, first, last), headers: accept });
    if (res.status < 200 || res.status >= 300) throw sheetsError(res);
    const body = parseJsonObject(res.body);
    if (body === null) {
      // Cut at the HTTP client's capture limit: long text in the dedup_key column.
      throw new DeliveryError('config', `the dedup_key column (${column}) holds more text than one read can carry: clear stray text from that column`);
    }
    const column0 = (body.values as unknown[][] | undefined)?.[0] ?? [];
    for (const v of column0) if (v !== '' && v !== null && v !== undefined) keys.add(String(v));
    last = first - 1;
  }
  return keys;
}

/**
 * Token, duplicate check, append. The API is not idempotent (a retry after a lost answer would
 * add the row twice, https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/append), so rows whose dedup_key is already among the newest
 * rows are dropped before appending, and reported to `classify` through PRESENT_HEADER.
 */
async function sendAppend(request: PlatformRequest, io: ConnectorIo, ctx: Ctx): Promise<PlatformResponse> {
  const started = performance.now();
  const call = authorizedCaller(io, ctx, AbortSignal.timeout(io.timeoutMs));
  const body = JSON.parse(request.body ?? '') as AppendBody;
  const column = dedupColumn(ctx.settings);
  const keyAt = ctx.settings.columns.indexOf('dedup_key');
  const present = column ? await recentKeys(call, ctx.settings, column) : new Set<string>();
  const found = body.values.filter((row) => present.has(String(row[keyAt])));
  const fresh = body.values.filter((row) => !present.has(String(row[keyAt])));
  const marker: Record<string, string> = found.length > 0 ? { [PRESENT_HEADER]: found.map((row) => String(row[keyAt])).join(',') } : {};
  const durationMs = () => Math.round(performance.now() - started);
  if (fresh.length === 0) {
    return {
      status: 200,
      headers: marker,
      body: JSON.stringify({ closeloop: 'every row is already in the sheet; nothing appended' }),
      durationMs: durationMs(),
    };
  }
  const res = await call({ ...request, body: JSON.stringify({ ...body, values: fresh }) });
  return { ...res, headers: { ...res.headers, ...marker }, durationMs: durationMs() };
}

/** Per item: already present → ok; otherwise what the append answered (`updatedRows` must match). */
export function classifyAppend(res: PlatformResponse, items: readonly DeliveryItem[]): Outcome {
  const present = new Set((res.headers[PRESENT_HEADER] ?? '').split(',').filter(Boolean));
  const already: ItemOutcome = { ok: true, note: 'row already in the sheet (an earlier attempt wrote it); not appended again' };
  const expected = new Set(items.map((i) => i.dedupKey).filter((k) => !present.has(k))).size;
  if (expected === 0) return already;
  let appended: ItemOutcome;
  if (res.status >= 200 && res.status < 300) {
    const updates = parseJsonObject(res.body)?.updates as { updatedRows?: unknown; updatedRange?: unknown } | undefined;
    const rows = updates?.updatedRows;
    appended =
      rows === expected
        ? { ok: true, note: `appended at ${String(updates?.updatedRange ?? '?')}` }
        : {
            ok: false,
            error: new DeliveryError(
              'transient',
              `Google Sheets reported ${typeof rows === 'number' ? rows : 'no'} rows appended, expected ${expected}; retrying (the duplicate check skips rows that landed)`,
              { status: res.status },
            ),
          };
  } else {
    appended = { ok: false, error: sheetsError(res) };
  }
  if (present.size === 0) return appended;
  return items.map((i) => (present.has(i.dedupKey) ? already : appended));
}

/**
 * Google Sheets: one row per conversion, appended with values:append (RAW, INSERT_ROWS) as a
 * service account. For organic partners and anyone who wants a live log in a spreadsheet.
 */
export const sheets = defineConnector({
  id: 'sheets',
  displayName: 'Google Sheets',
  apiVersion: 'v4',
  settings: sheetsSettingsSchema,
  credentials: sheetsCredentialsSchema,
  // Quota is per request (60 writes/min/user), so batch; 500 rows stay far below the 2 MB advice
  // (developers.google.com/sheets/api/limits). The timeout covers the whole send: token,
  // duplicate check and append.
  limits: { maxBatch: 500, timeoutMs: 20_000 },
  build: buildAppendRequest,
  send: sendAppend,
  classify: (response, _request, items) => classifyAppend(response, items),
  /** Token exchange + reading the spreadsheet's tabs: proves the key, the share and sheetName. */
  async verify(io, ctx) {
    const call = authorizedCaller(io, ctx, AbortSignal.timeout(io.timeoutMs));
    const res = await call({ method: 'GET', url: spreadsheetUrl(ctx.settings), headers: { accept: 'application/json' } });
    if (res.status < 200 || res.status >= 300) throw sheetsError(res);
    const tabs = parseJsonObject(res.body)?.sheets;
    const titles = (Array.isArray(tabs) ? tabs : []).map((s: { properties?: { title?: unknown } } | null) => String(s?.properties?.title ?? ''));
    if (!titles.includes(ctx.settings.sheetName)) {
      throw new DeliveryError('config', `the spreadsheet has no tab "${ctx.settings.sheetName}" (tabs: ${titles.join(', ') || 'none'})`);
    }
  },
});
