import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Intake, IntakeRequest, IntakeResult } from '../conversions/intake';
import { bodyRecord, parseBody } from './body';

/**
 * S2S postback intake: GET (the networks' default) or POST with form or JSON. The answer comes
 * once the conversion and its outbox rows are committed, never after delivery.
 */
export function postbackRoutes(router: Router, deps: { intake: Intake; ip: (ctx: Context) => string | null }): void {
  const handle = async (ctx: Context) => {
    const params = { ...ctx.query, ...bodyRecord(ctx.request.body) } as Record<string, unknown>;
    ctx.body = await answerPostback(deps.intake, { params, ip: deps.ip(ctx), sourceId: ctx.params?.source });
  };
  router.get('/postback', handle);
  router.post('/postback', parseBody, handle);
  router.get('/postback/:source', handle);
  router.post('/postback/:source', parseBody, handle);
}

/** A postback's answer: Koa's routes above and the hot listener (hot-path.ts) both answer through it. */
export async function answerPostback(intake: Intake, req: IntakeRequest) {
  return intakeAnswer(await intake.receive(req));
}

/** The intake's answer to a postback (also the answer of POST /v1/sources/:id/sample). */
export function intakeAnswer(result: IntakeResult) {
  return {
    conversion_id: result.conversion.id,
    duplicate: result.duplicate,
    updated: result.updated,
    matched: result.conversion.matched,
    status: result.conversion.status,
    deliveries: result.deliveries.map((d) => ({ id: d.id, destination: d.destinationId, status: d.status })),
    warnings: result.warnings,
  };
}
