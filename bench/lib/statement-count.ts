import Database from 'better-sqlite3';

/**
 * Counts the SQLite statements this process executes while `counting` runs: better-sqlite3's
 * Statement run/get/all are wrapped on the prototype (every connection, statements prepared
 * before or after) and restored afterwards. The wrapper costs CPU, so a benchmark counts in a run
 * of its own, never in a timed one. BEGIN/COMMIT/SAVEPOINT of `db.transaction` count as well:
 * better-sqlite3 runs them as statements too.
 */
type Method = (...a: unknown[]) => unknown;
type Proto = Record<'run' | 'get' | 'all', Method>;

export interface StatementCount {
  total: number;
  /** By the statement's first words (`UPDATE deliveries`, `INSERT attempts`…), most first. */
  byKind: Array<[string, number]>;
}

export async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; statements: StatementCount }> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Proto;
  probe.close();
  const bySource = new Map<string, number>();
  const originals = { run: proto.run, get: proto.get, all: proto.all };
  for (const method of ['run', 'get', 'all'] as const) {
    const original = originals[method];
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      bySource.set(this.source, (bySource.get(this.source) ?? 0) + 1);
      return original.apply(this, args);
    };
  }
  try {
    const value = await fn();
    const kinds = new Map<string, number>();
    let total = 0;
    for (const [sql, n] of bySource) {
      total += n;
      const k = kindOf(sql);
      kinds.set(k, (kinds.get(k) ?? 0) + n);
    }
    return { value, statements: { total, byKind: [...kinds].sort((a, b) => b[1] - a[1]) } };
  } finally {
    Object.assign(proto, originals);
  }
}

function kindOf(sql: string): string {
  const words = sql.trim().replace(/\s+/g, ' ').split(' ');
  const verb = (words[0] ?? '').toUpperCase();
  if (verb === 'INSERT') return `INSERT ${words[2] ?? ''}`;
  if (verb === 'UPDATE') return `UPDATE ${words[1] ?? ''}`;
  const from = words.findIndex((w) => w.toUpperCase() === 'FROM');
  return from >= 0 ? `${verb} ${words[from + 1] ?? ''}` : verb;
}
