import type Router from '@koa/router';
import { z } from 'zod';
import { ApiError } from '../api-error';
import type { Config } from '../config';
import type { DestinationDirectory } from '../delivery/destinations';
import { matchQualityView, type MatchQualityTarget } from '../delivery/match-quality';
import type { Ledger } from '../store/ledger';
import { adminAuth } from './admin-auth';
import { parse } from './query';

const DAY = 86_400_000;
const WINDOWS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const;
const matchQualityQuery = z
  .object({
    window: z.enum(['24h', '7d', '30d']).default('7d'),
    destination: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'not a destination id')
      .optional(),
  })
  .strict();

/**
 * GET /v1/stats/match-quality (issue 11 item 7): per configured destination, the conversions it
 * delivered in the window and, for each matching signal its connector can send, how many and
 * what share carried it, with a hint where a share is low. One grouped range scan of an index
 * (SQL.statsMatchQuality); the ledger stores names only, never values.
 */
export function matchQualityRoutes(router: Router, deps: { config: Config; ledger: Ledger; destinations: DestinationDirectory; now: () => number }): void {
  const auth = adminAuth(deps.config.admin.token);

  router.get('/v1/stats/match-quality', auth, async (ctx) => {
    const q = parse(matchQualityQuery, ctx.query);
    const configured = q.destination ? deps.config.destinations.filter((d) => d.id === q.destination) : deps.config.destinations;
    if (q.destination && configured.length === 0) throw new ApiError(404, 'NOT_FOUND', `no destination "${q.destination}" is configured`);
    const to = deps.now();
    const from = to - WINDOWS[q.window];
    const targets: MatchQualityTarget[] = configured.map((d) => {
      const connector = deps.destinations.get(d.id)?.connector;
      return { id: d.id, connector: connector ?? { id: d.connector } };
    });
    const rows = await deps.ledger.matchQuality(from, to);
    ctx.body = { window: q.window, from, to, destinations: matchQualityView(rows, targets) };
  });
}
