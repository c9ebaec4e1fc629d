import type { ClickSpool } from '../clicks/spooled-click-store';
import { clickRecordSchema, type ClickRecord } from '../clicks/click';
import type { GroupCommit } from './group-commit';
import { sqlRunner, type SqliteDb } from './sqlite';

/**
 * The click spool on the ledger's SQLite file (table `click_spool`, migration 20). Writes join the
 * group commit, so a spooled click is on disk before the visitor is redirected; reads are local
 * primary-key lookups. Records are parsed on the way out: nothing malformed leaves the spool.
 */
export function createSqliteClickSpool(db: SqliteDb, writer: GroupCommit, now: () => number = Date.now): ClickSpool {
  const { all, get, run } = sqlRunner(db);
  const parse = (text: unknown): ClickRecord => clickRecordSchema.parse(JSON.parse(String(text)));
  return {
    put: (click, expiresAt) =>
      writer.run(() => {
        run(
          'INSERT INTO click_spool (id, record, expires_at, spooled_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at',
          click.id, JSON.stringify(click), expiresAt, now(),
        );
      }),
    get: async (clickId, at) => {
      const row = get('SELECT record FROM click_spool WHERE id = ? AND expires_at > ?', clickId, at);
      return row ? parse(row.record) : undefined;
    },
    oldest: async (limit) =>
      all('SELECT record, expires_at FROM click_spool ORDER BY spooled_at, id LIMIT ?', limit).map((r) => ({
        click: parse(r.record),
        expiresAt: Number(r.expires_at),
      })),
    remove: async (ids) => {
      if (ids.length === 0) return;
      await writer.run(() => {
        for (const id of ids) run('DELETE FROM click_spool WHERE id = ?', id);
      });
    },
  };
}
