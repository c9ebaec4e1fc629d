import type { DeliveryStatus, WindowStats } from './ledger';
import type { Row } from './ledger-rows';
import { SQL } from './ledger-sql';

/**
 * Ledger.windowStats for any engine: the same five statements (ledger-sql.ts) run through the
 * engine's query function, folded into one answer. Every statement is a range scan of a
 * time index (migration 50), so its cost follows the window's rows, not the ledger's.
 */
export async function windowStatsFrom(
  query: (sql: string, ...params: unknown[]) => Row[] | Promise<Row[]>,
  from: number,
  to: number,
  bucketMs: number,
): Promise<WindowStats> {
  const [conv] = await query(SQL.statsConversions, from, to);
  const rejections = await query(SQL.statsRejections, from, to);
  const counts = await query(SQL.statsCounts, from, to);
  const created = await query(SQL.statsDeliveries, from, bucketMs, from, to);
  const failed = await query(SQL.statsSeriesFailures, from, bucketMs, from, to);

  const series = new Map<string, WindowStats['series'][number]>();
  const point = (destinationId: string, bucket: number) => {
    const key = `${destinationId}\u0000${bucket}`;
    let p = series.get(key);
    if (!p) series.set(key, (p = { destinationId, bucket, conversions: 0, failures: 0 }));
    return p;
  };
  const byStatus = new Map<string, WindowStats['deliveries'][number]>();
  for (const r of created) {
    const destinationId = String(r.destination_id);
    point(destinationId, Number(r.bucket)).conversions += Number(r.n);
    const key = `${destinationId}\u0000${String(r.status)}`;
    const d = byStatus.get(key);
    if (d) d.n += Number(r.n);
    else byStatus.set(key, { destinationId, status: r.status as DeliveryStatus, n: Number(r.n) });
  }
  for (const r of failed) point(String(r.destination_id), Number(r.bucket)).failures += Number(r.n);

  return {
    conversions: Number(conv?.n ?? 0),
    matched: Number(conv?.matched ?? 0),
    rejectedByCode: Object.fromEntries(rejections.map((r) => [String(r.code), Number(r.n)])),
    counts: Object.fromEntries(counts.map((r) => [String(r.name), Number(r.n)])),
    deliveries: [...byStatus.values()],
    series: [...series.values()],
  };
}
