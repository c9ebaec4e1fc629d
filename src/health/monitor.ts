import type { Logger } from '../logger';

/** What /readyz and the metrics read about one dependency (click store, ledger). */
export interface DependencySnapshot {
  name: string;
  /** false from the first failure of an episode until the next success. */
  healthy: boolean;
  /** Every failed operation since start. */
  failures: number;
  /** How many times the dependency went from healthy to failing. */
  episodes: number;
  /** The last failure's message (never a payload: messages come from drivers). */
  lastError: string | null;
  lastFailureAt: number | null;
  /** Since when the current episode runs (null while healthy). */
  failingSince: number | null;
  /** Named extras, e.g. clicks spooled / replayed for the click store. */
  counters: Record<string, number>;
}

/**
 * Counts and logs a dependency's failures. A failing dependency fails every request for a while;
 * logging each one would bury the log (the issue counted 6,000 lines for one full disk), so one
 * error line opens an episode, one reminder at most every `remindMs` while it lasts, and one info
 * line closes it with the number of failures it saw. Counters are always exact.
 */
export class DependencyMonitor {
  private state: Omit<DependencySnapshot, 'name' | 'counters'> = {
    healthy: true,
    failures: 0,
    episodes: 0,
    lastError: null,
    lastFailureAt: null,
    failingSince: null,
  };
  private readonly counters: Record<string, number> = {};
  private lastLogAt = 0;
  private episodeFailures = 0;

  constructor(
    readonly name: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly remindMs = 60_000,
  ) {}

  failed(err: unknown, context?: Record<string, unknown>): void {
    const at = this.now();
    const message = errorMessage(err);
    this.state.failures++;
    this.state.lastError = message;
    this.state.lastFailureAt = at;
    this.episodeFailures++;
    if (this.state.healthy) {
      this.state.healthy = false;
      this.state.episodes++;
      this.state.failingSince = at;
      this.lastLogAt = at;
      this.logger.error({ dependency: this.name, error: message, ...context }, `${this.name} failing: ${message}`);
    } else if (at - this.lastLogAt >= this.remindMs) {
      this.lastLogAt = at;
      this.logger.error(
        { dependency: this.name, error: message, failures: this.episodeFailures, sinceMs: at - (this.state.failingSince ?? at) },
        `${this.name} still failing: ${message}`,
      );
    }
  }

  succeeded(): void {
    if (this.state.healthy) return;
    const at = this.now();
    this.logger.info({ dependency: this.name, failures: this.episodeFailures, durationMs: at - (this.state.failingSince ?? at) }, `${this.name} recovered`);
    this.state.healthy = true;
    this.state.failingSince = null;
    this.episodeFailures = 0;
  }

  count(counter: string, n = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + n;
  }

  get healthy(): boolean {
    return this.state.healthy;
  }

  snapshot(): DependencySnapshot {
    return { name: this.name, ...this.state, counters: { ...this.counters } };
  }
}

/** The monitors of one gateway, by name: what /readyz and metrics read. */
export class HealthRegistry {
  private readonly monitors = new Map<string, DependencyMonitor>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  monitor(name: string): DependencyMonitor {
    let m = this.monitors.get(name);
    if (!m) {
      m = new DependencyMonitor(name, this.logger, this.now);
      this.monitors.set(name, m);
    }
    return m;
  }

  snapshot(): DependencySnapshot[] {
    return [...this.monitors.values()].map((m) => m.snapshot());
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const base = typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    return cause instanceof Error && !base.includes(cause.message) ? `${base} (${errorMessage(cause)})` : base;
  }
  return String(err);
}
