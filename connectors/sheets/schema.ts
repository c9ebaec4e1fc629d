import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

/** https://sheets.googleapis.com — overridable so tests (and proxies) can point elsewhere. */
export const SHEETS_BASE_URL = 'https://sheets.googleapis.com';
/** What a service-account key file names as `token_uri`; used when the key has none. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** Read and write spreadsheets (developers.google.com/sheets/api/scopes). */
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** The column vocabulary: one key per thing a row can show. */
export const SHEET_COLUMNS = [
  'received_at',
  'transaction_id',
  'conversion_id',
  'dedup_key',
  'source',
  'offer_id',
  'event',
  'status',
  'payout',
  'currency',
  'platform',
  'platform_click_id',
  'click_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'landing_url',
] as const;
export type SheetColumn = (typeof SHEET_COLUMNS)[number];

export const DEFAULT_COLUMNS: SheetColumn[] = [
  'received_at',
  'transaction_id',
  'source',
  'offer_id',
  'event',
  'status',
  'payout',
  'currency',
  'platform',
  'platform_click_id',
  'click_id',
  'dedup_key',
];

/**
 * The duplicate check reads the dedup_key column upward from the bottom of the tab, in reads of
 * DEDUP_READ_ROWS rows, at most DEDUP_MAX_READS of them. One read must fit the 64 KiB the
 * engine's HTTP client keeps of a response: 1,200 keys of up to 40 characters in compact JSON
 * are about 48 KiB. Empty rows under the table cost nothing in the answer but do use up rows.
 */
export const DEDUP_READ_ROWS = 1200;
export const DEDUP_MAX_READS = 5;

const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/i, `${what} must be an http:// or https:// URL`);

export const sheetsSettingsSchema = z
  .object({
    /** The id in the sheet's URL: docs.google.com/spreadsheets/d/<spreadsheetId>/edit. */
    spreadsheetId: z
      .string({ error: (i) => (i.input === undefined ? 'spreadsheetId is required' : 'spreadsheetId must be a string') })
      .trim()
      .regex(/^[A-Za-z0-9_-]{10,}$/, 'spreadsheetId is the long id in the sheet URL (/spreadsheets/d/<id>/edit)'),
    /** The tab rows are appended to (its name at the bottom of the sheet). */
    sheetName: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\u0000-\u001f]+$/, 'sheetName must not contain control characters')
      .default('Sheet1'),
    /** Columns A, B, C… in this order; keys from SHEET_COLUMNS. */
    columns: z
      .array(z.enum(SHEET_COLUMNS))
      .min(1, 'columns must name at least one column')
      .refine((c) => new Set(c).size === c.length, 'columns must not repeat a key')
      .default(DEFAULT_COLUMNS),
    /** At least this many of the newest rows are checked for the dedup_key before appending; 0 = off. */
    dedupWindowRows: z
      .number()
      .int()
      .min(0)
      .max(DEDUP_READ_ROWS * DEDUP_MAX_READS)
      .default(1000),
    /** API origin; the connector appends `/v4/spreadsheets/…`. */
    baseUrl: httpUrl('baseUrl')
      .transform((u) => u.replace(/\/+$/, ''))
      .default(SHEETS_BASE_URL),
  })
  .refine((s) => s.dedupWindowRows === 0 || s.columns.includes('dedup_key'), {
    message: 'columns must include dedup_key: it is how a retried delivery finds the row it already wrote (or set dedupWindowRows: 0)',
    path: ['columns'],
  });
export type SheetsSettings = z.infer<typeof sheetsSettingsSchema>;

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/** The fields of a service-account key file we use; the rest of the file is dropped. */
const serviceAccountSchema = z.object({
  client_email: z
    .string()
    .trim()
    .regex(/^[^@\s]+@[^@\s]+$/, 'client_email must be the service account e-mail'),
  // Keys pasted through an environment variable often arrive with literal "\n" sequences.
  private_key: z
    .string()
    .transform((k) => k.replace(/\\n/g, '\n'))
    .refine(isRsaPrivateKey, 'private_key is not a PEM RSA private key'),
  private_key_id: z.string().trim().optional(),
  /** Honoured as given: google-auth-library's JWT client hard-codes Google's (its build/src/gtoken/getToken.js). */
  token_uri: httpUrl('token_uri').default(GOOGLE_TOKEN_URI),
});

/**
 * Either the key file's fields, or `{ keyJson: "<the whole key file>" }` (handy with
 * `${GOOGLE_SA_KEY}` in the YAML). Error messages never echo the key.
 */
export const sheetsCredentialsSchema = z.preprocess((value, ctx) => {
  if (!value || typeof value !== 'object' || typeof (value as { keyJson?: unknown }).keyJson !== 'string') return value;
  try {
    return JSON.parse((value as { keyJson: string }).keyJson);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'keyJson is not valid JSON (paste the whole service-account key file)', path: ['keyJson'] });
    return z.NEVER;
  }
}, serviceAccountSchema);
export type SheetsCredentials = z.infer<typeof serviceAccountSchema>;

/** A cell as sent with valueInputOption=RAW: strings stay strings (never formulas), numbers numbers. */
export type Cell = string | number;
export interface AppendBody {
  majorDimension: 'ROWS';
  values: Cell[][];
}
