import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { startFakeServer, type FakeReply, type RecordedRequest } from '../helpers/fake-server';

/**
 * A fake Google OAuth token endpoint + Sheets API v4 on 127.0.0.1:0. The token endpoint checks
 * the JWT-bearer grant like Google (RS256 signature against the test's public key, iss, aud =
 * this token URL, spreadsheets scope, lifetime); the values endpoints check the Bearer token,
 * RAW/INSERT_ROWS, and keep rows in memory with a grid that grows like INSERT_ROWS does.
 */

export type AppendScript =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** 429 RESOURCE_EXHAUSTED, Google's per-minute quota answer. */
  | { quota: true }
  | { reset: true }
  | { hang: true }
  /** Apply the append, then drop the connection: the caller never learns it worked. */
  | { lost: true };

export interface SheetsFakeOptions {
  publicKey: KeyObject | string;
  clientEmail: string;
  /** spreadsheetId → tab names. */
  spreadsheets: Record<string, string[]>;
  /** Rows in a new tab's grid (Google's default is 1000). */
  gridRows?: number;
  tokenLifetimeS?: number;
  now?: () => number;
}

interface Tab {
  rows: unknown[][];
  gridRows: number;
}

const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
/** Google pretty-prints JSON unless the request says prettyPrint=false. */
const json = (status: number, body: unknown, headers: Record<string, string> = {}, pretty = true): FakeReply => ({
  status,
  headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
  body: JSON.stringify(body, null, pretty ? 2 : undefined),
});
const googleError = (code: number, status: string, message: string) => json(code, { error: { code, message, status } });
const quoteIfNeeded = (name: string) => (/^[A-Za-z0-9_]+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`);
const colIndex = (letters: string) => [...letters].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;

/** `'My tab'!C5:C9`, `Log!A:L` → tab, columns, rows (rows undefined = the whole column). */
function parseRange(a1: string): { tab: string; c1: number; c2: number; r1?: number; r2?: number } | null {
  const bang = a1.lastIndexOf('!');
  if (bang < 0) return null;
  let tab = a1.slice(0, bang);
  if (tab.startsWith("'") && tab.endsWith("'")) tab = tab.slice(1, -1).replace(/''/g, "'");
  const m = /^([A-Z]+)(\d+)?(?::([A-Z]+)(\d+)?)?$/.exec(a1.slice(bang + 1));
  if (!m) return null;
  const c1 = colIndex(m[1] as string);
  return { tab, c1, c2: m[3] ? colIndex(m[3]) : c1, ...(m[2] ? { r1: Number(m[2]) } : {}), ...(m[4] ? { r2: Number(m[4]) } : {}) };
}

export async function startSheetsFake(options: SheetsFakeOptions) {
  const now = options.now ?? Date.now;
  const tabs = new Map<string, Map<string, Tab>>();
  for (const [id, names] of Object.entries(options.spreadsheets)) {
    tabs.set(id, new Map(names.map((n) => [n, { rows: [], gridRows: options.gridRows ?? 1000 }])));
  }
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const appendScript: AppendScript[] = [];
  const stats = { tokensIssued: 0, appends: 0, reads: 0 };
  let url = '';

  function issueToken(req: RecordedRequest): FakeReply {
    const form = new URLSearchParams(req.body);
    const fail = (description: string) => json(400, { error: 'invalid_grant', error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(400, { error: 'unsupported_grant_type' });
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return fail('Invalid JWT: malformed');
    const [h, c, s] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    if (header.alg !== 'RS256') return fail('Invalid JWT: alg must be RS256');
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), options.publicKey, Buffer.from(s, 'base64url'))) return fail('Invalid JWT Signature.');
    if (claims.iss !== options.clientEmail) return json(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (claims.aud !== `${url}/token`) return fail('Invalid JWT: aud must be the token URI');
    if (
      !String(claims.scope ?? '')
        .split(' ')
        .includes(SCOPE)
    )
      return json(400, { error: 'invalid_scope' });
    const nowS = Math.floor(now() / 1000);
    if (!(claims.iat <= nowS + 60 && claims.exp > nowS && claims.exp - claims.iat <= 3600)) {
      return fail('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    const lifetime = options.tokenLifetimeS ?? 3599;
    tokens.set(token, now() + lifetime * 1000);
    stats.tokensIssued++;
    return json(200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
  }

  function values(req: RecordedRequest): FakeReply {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (expiry === undefined || expiry <= now()) {
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    const m = /^\/v4\/spreadsheets\/([^/]+)(?:\/values\/(.+?)(:append)?)?$/.exec(req.path);
    const book = m ? tabs.get(decodeURIComponent(m[1] as string)) : undefined;
    if (!m || !book) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    if (!m[2]) return json(200, { spreadsheetId: decodeURIComponent(m[1] as string), sheets: [...book.keys()].map((title) => ({ properties: { title } })) });
    const a1 = decodeURIComponent(m[2]);
    const range = parseRange(a1);
    const tab = range ? book.get(range.tab) : undefined;
    if (!range || !tab) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${a1}`);
    const name = quoteIfNeeded(range.tab);
    const letter = (i: number) => String.fromCharCode(65 + i);

    if (req.method === 'GET' && !m[3]) {
      stats.reads++;
      const r1 = range.r1 ?? 1;
      const r2 = Math.min(range.r2 ?? tab.gridRows, tab.gridRows);
      const fullRange = `${name}!${letter(range.c1)}${r1}:${letter(range.c2)}${r2}`;
      const pretty = req.query.get('prettyPrint') !== 'false';
      if (req.query.get('fields') === 'range') return json(200, { range: fullRange }, {}, pretty);
      const cols = req.query.get('majorDimension') === 'COLUMNS';
      const cell = (r: number, c: number) => tab.rows[r - 1]?.[c] ?? '';
      const out: unknown[][] = [];
      for (let c = range.c1; c <= range.c2; c++) {
        const column: unknown[] = [];
        for (let r = r1; r <= r2; r++) column.push(cell(r, c));
        while (column.length > 0 && column.at(-1) === '') column.pop(); // trailing empties are omitted
        out.push(column);
      }
      const rows = cols ? out : Array.from({ length: Math.max(0, ...out.map((x) => x.length)) }, (_, r) => out.map((x) => x[r] ?? ''));
      return json(200, { range: fullRange, majorDimension: cols ? 'COLUMNS' : 'ROWS', ...(rows.some((x) => x.length) ? { values: rows } : {}) }, {}, pretty);
    }
    if (req.method !== 'POST' || !m[3]) return googleError(400, 'INVALID_ARGUMENT', 'Unsupported method');

    const script = appendScript.shift();
    if (script && 'quota' in script) {
      return googleError(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'");
    }
    if (script && 'status' in script) return json(script.status, script.body ?? {}, script.headers);
    if (script && 'reset' in script) return { reset: true };
    if (script && 'hang' in script) return { hang: true };
    if (req.query.get('valueInputOption') !== 'RAW') return googleError(400, 'INVALID_ARGUMENT', 'valueInputOption must be RAW for this fake');
    if (req.query.get('insertDataOption') !== 'INSERT_ROWS') return googleError(400, 'INVALID_ARGUMENT', 'insertDataOption must be INSERT_ROWS for this fake');
    const body = JSON.parse(req.body);
    if ((body.majorDimension ?? 'ROWS') !== 'ROWS' || !Array.isArray(body.values)) return googleError(400, 'INVALID_ARGUMENT', 'values must be rows');
    if (body.values.some((row: unknown) => !Array.isArray(row) || row.some((v) => !['string', 'number', 'boolean'].includes(typeof v)))) {
      return googleError(400, 'INVALID_ARGUMENT', 'Invalid values: cells must be strings, numbers or booleans');
    }
    const before = tab.rows.length;
    const width = Math.max(0, ...body.values.map((r: unknown[]) => r.length));
    tab.rows.push(...body.values.map((r: unknown[]) => [...r]));
    tab.gridRows += body.values.length; // INSERT_ROWS inserts rows: the empty ones below stay
    stats.appends++;
    if (script && 'lost' in script) return { reset: true };
    const end = letter(range.c1 + Math.max(width, 1) - 1);
    return json(200, {
      spreadsheetId: decodeURIComponent(m[1] as string),
      ...(before > 0 ? { tableRange: `${name}!A1:${end}${before}` } : {}),
      updates: {
        spreadsheetId: decodeURIComponent(m[1] as string),
        updatedRange: `${name}!A${before + 1}:${end}${before + body.values.length}`,
        updatedRows: body.values.length,
        updatedColumns: width,
        updatedCells: body.values.length * width,
      },
    });
  }

  const server = await startFakeServer((req) => {
    if (req.method === 'POST' && req.path === '/token') return issueToken(req);
    if (req.path.startsWith('/v4/')) return values(req);
    return json(404, { error: 'not found' });
  });
  url = server.url;
  return {
    url,
    tokenUri: `${url}/token`,
    requests: server.requests,
    stats,
    /** The rows of one tab (the live array). */
    rows: (spreadsheetId: string, tab: string): unknown[][] => tabs.get(spreadsheetId)?.get(tab)?.rows ?? [],
    /** Rows typed in by hand: the grid keeps `emptyBelow` empty rows under them. */
    seed(spreadsheetId: string, tab: string, rows: unknown[][], emptyBelow = 20): void {
      const t = tabs.get(spreadsheetId)?.get(tab);
      if (!t) throw new Error(`no tab ${tab}`);
      t.rows.push(...rows);
      t.gridRows = t.rows.length + emptyBelow;
    },
    /** Queue answers for the next appends, in order. */
    scriptAppend: (...s: AppendScript[]) => void appendScript.push(...s),
    /** Every issued token stops working (as if revoked). */
    revokeTokens: () => tokens.clear(),
    close: server.close,
  };
}
export type SheetsFake = Awaited<ReturnType<typeof startSheetsFake>>;
