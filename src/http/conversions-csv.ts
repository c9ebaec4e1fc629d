import { Readable } from 'node:stream';
import type { ConversionSearch, Ledger } from '../store/ledger';

const PAGE = 500;
const COLUMNS = [
  'id',
  'received_at',
  'updated_at',
  'source',
  'transaction_id',
  'event',
  'status',
  'payout',
  'currency',
  'offer_id',
  'click_id',
  'matched',
  'platform',
  'platform_click_id',
  'deliveries',
  'warnings',
  // Last, so that a sheet reading the older columns by position still finds them where they were.
  'consent_ad_user_data',
  'consent_ad_personalization',
  'limited_data_use',
];

/**
 * RFC 4180 cell. A text cell that a spreadsheet would run as a formula (= + - @, tab, CR) gets a
 * leading apostrophe: values come from the network's postback
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The filtered conversions as CSV, read from the ledger a page at a time while the client reads:
 * Readable.from pulls the next page only when the socket has taken the previous one, so memory
 * holds one page whatever the size of the export.
 */
export function conversionsCsv(ledger: Ledger, search: Omit<ConversionSearch, 'limit' | 'after'>): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield `${COLUMNS.join(',')}\r\n`;
    let after: ConversionSearch['after'];
    for (;;) {
      const page = await ledger.searchConversions({ ...search, limit: PAGE, ...(after ? { after } : {}) });
      if (page.length === 0) return;
      const deliveries = await ledger.deliveriesOfConversions(page.map((p) => p.conversion.id));
      const byConversion = new Map<string, string[]>();
      for (const d of deliveries) byConversion.set(d.conversionId, [...(byConversion.get(d.conversionId) ?? []), `${d.destinationId}:${d.status}`]);
      let chunk = '';
      for (const { conversion: c, warnings } of page) {
        chunk +=
          [
            c.id,
            new Date(c.receivedAt).toISOString(),
            new Date(c.updatedAt).toISOString(),
            c.source,
            c.transactionId,
            c.event,
            c.status,
            c.payout,
            c.currency,
            c.offerId,
            c.clickId,
            c.matched,
            c.click?.platform ?? null,
            c.click?.platformClickId ?? null,
            (byConversion.get(c.id) ?? []).join(' '),
            warnings.join(' | '),
            c.consent?.adUserData ?? null,
            c.consent?.adPersonalization ?? null,
            c.consent?.limitedDataUse ?? null,
          ]
            .map(csvCell)
            .join(',') + '\r\n';
      }
      yield chunk;
      if (page.length < PAGE) return;
      const last = page[page.length - 1]?.conversion;
      if (!last) return;
      after = { at: last.receivedAt, id: last.id };
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
