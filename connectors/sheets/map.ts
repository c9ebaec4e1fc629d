import { DeliveryError, type ConnectorContext, type DeliveryItem, type PlatformRequest } from '../../src/connector-kit';
import { decimalToNumber } from '../_shared/currency';
import { rfc3339 } from '../_shared/time';
import type { AppendBody, Cell, SheetColumn, SheetsCredentials, SheetsSettings } from './schema';

type Ctx = ConnectorContext<SheetsSettings, SheetsCredentials>;

/** One cell of one delivery. Missing values are '' (an empty cell), never the text "null". */
export function cellValue(column: SheetColumn, item: DeliveryItem): Cell {
  const c = item.conversion;
  const click = c.click;
  switch (column) {
    // ISO 8601 text: with RAW input a date string stays text and sorts correctly.
    case 'received_at':
      return rfc3339(c.receivedAt);
    case 'transaction_id':
      return c.transactionId;
    case 'conversion_id':
      return c.id;
    case 'dedup_key':
      return item.dedupKey;
    case 'source':
      return c.source;
    case 'offer_id':
      return c.offerId ?? '';
    case 'event':
      return c.event;
    case 'status':
      return c.status;
    // A number, so SUM() works; a payout that is not a plain decimal is kept as text.
    case 'payout':
      return decimalToNumber(c.payout) ?? c.payout ?? '';
    case 'currency':
      return c.currency;
    case 'platform':
      return click?.platform ?? '';
    case 'platform_click_id':
      return click?.platformClickId ?? '';
    case 'click_id':
      return c.clickId ?? '';
    case 'sub1':
    case 'sub2':
    case 'sub3':
    case 'sub4':
      // Subs come from the click; a postback without a matched click may carry them itself.
      return click?.subs[column] ?? c.params[column] ?? '';
    case 'landing_url':
      return click?.landingUrl ?? '';
  }
}

export function rowFor(item: DeliveryItem, columns: readonly SheetColumn[]): Cell[] {
  return columns.map((column) => cellValue(column, item));
}

/** 'Sheet name' in A1 notation: always quoted, a quote inside doubled (developers.google.com/sheets/api/guides/concepts#cell). */
export function quoteSheet(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

const valuesUrl = (s: SheetsSettings, range: string) =>
  `${s.baseUrl}/v4/spreadsheets/${encodeURIComponent(s.spreadsheetId)}/values/${encodeURIComponent(range)}`;

/** The table's columns, e.g. 'Log'!A:L: append looks for the table there and writes after it. */
export function tableRange(s: SheetsSettings): string {
  return `${quoteSheet(s.sheetName)}!A:${columnLetter(s.columns.length - 1)}`;
}

/**
 * values:append with RAW (partner strings are stored as typed, never parsed as formulas or
 * dates) and INSERT_ROWS (new rows are inserted, nothing below is overwritten)
 * (developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/append).
 */
export function appendUrl(s: SheetsSettings): string {
  return `${valuesUrl(s, tableRange(s))}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`;
}

/** Where the dedup_key column is, or null when the check is off. */
export function dedupColumn(s: SheetsSettings): string | null {
  const index = s.columns.indexOf('dedup_key');
  return s.dedupWindowRows > 0 && index >= 0 ? columnLetter(index) : null;
}

/**
 * The whole dedup_key column, answering only its `range` (partial response, `fields=range`:
 * developers.google.com/sheets/api/guides/performance#partial_response). For output the range
 * covers the whole requested grid, so it tells us how many rows the tab has.
 */
export function gridProbeUrl(s: SheetsSettings, column: string): string {
  return `${valuesUrl(s, `${quoteSheet(s.sheetName)}!${column}:${column}`)}?majorDimension=COLUMNS&fields=range&prettyPrint=false`;
}

/**
 * Rows first..last of the dedup_key column as one array; trailing empty cells are omitted, and
 * prettyPrint=false drops Google's indentation, which would otherwise double the bytes per key.
 */
export function windowUrl(s: SheetsSettings, column: string, first: number, last: number): string {
  return `${valuesUrl(s, `${quoteSheet(s.sheetName)}!${column}${first}:${column}${last}`)}?majorDimension=COLUMNS&prettyPrint=false`;
}

/** Last row number of an A1 range such as `Log!L1:L1000` or `'My log'!L1:L1000`; null if none. */
export function lastRowOf(range: string): number | null {
  const cells = range.slice(range.lastIndexOf('!') + 1);
  const m = /^[A-Z]+(\d+)?(?::[A-Z]+(\d+))?$/.exec(cells);
  const last = m?.[2] ?? m?.[1];
  return last ? Number(last) : null;
}

/** GET …?fields=spreadsheetId,sheets.properties.title — the connector's verify. */
export function spreadsheetUrl(s: SheetsSettings): string {
  return `${s.baseUrl}/v4/spreadsheets/${encodeURIComponent(s.spreadsheetId)}?fields=spreadsheetId,sheets.properties.title`;
}

/**
 * Items → one append of several rows. Pure; the Authorization header is added by `send` (the
 * token is fetched at run time), so the recorded request never holds it. One item per
 * dedup_key: the engine never batches a key twice, but the check costs nothing.
 */
export function buildAppendRequest(items: readonly DeliveryItem[], ctx: Ctx): PlatformRequest {
  if (items.length === 0) throw new DeliveryError('payload', 'sheets: nothing to append');
  const seen = new Set<string>();
  const values: Cell[][] = [];
  for (const item of items) {
    if (seen.has(item.dedupKey)) continue;
    seen.add(item.dedupKey);
    values.push(rowFor(item, ctx.settings.columns));
  }
  const body: AppendBody = { majorDimension: 'ROWS', values };
  return { method: 'POST', url: appendUrl(ctx.settings), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
