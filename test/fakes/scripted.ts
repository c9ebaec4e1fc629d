import { startFakeServer, type FakeReply, type RecordedRequest } from '../helpers/fake-server';

/**
 * The scaffolding the platform fakes share: a script of steps (one per request, then normal
 * service) that injects transport failures ahead of the platform's own checks, and a log of
 * accepted events a test can wait on. Each fake keeps only its platform's rules.
 */

/** A parsed JSON body or field as the fakes inspect it. */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Failures below the platform's API logic: an HTTP answer, a reset socket, silence, or a slow answer. */
export type TransportStep = { status: number; body?: string; headers?: Record<string, string> } | { reset: true } | { hang: true } | { delayMs: number };

/** 'ok' is normal service; S is the fake's own step type (TransportStep plus platform answers). */
export type Step<S> = 'ok' | S;

/** The reply for a transport step, or null when the platform logic answers (`ok`, `delayMs`, platform steps). */
export function transportReply(step: unknown, contentType: string): FakeReply | null {
  if (!step || typeof step !== 'object') return null;
  if ('reset' in step) return { reset: true };
  if ('hang' in step) return { hang: true };
  if ('status' in step) {
    const s = step as { status: number; body?: string; headers?: Record<string, string> };
    return { status: s.status, headers: s.headers ?? { 'content-type': contentType }, body: s.body ?? '' };
  }
  return null;
}

export interface ScriptedOptions<S> {
  script?: Array<Step<S>> | undefined;
  /** Content type of a scripted `{ status }` answer that names none (what the platform's edge sends). */
  contentType: string;
  /** Added to every answer, as a real platform's round trip would be (benchmarks). */
  latencyMs?: number | undefined;
  /** The platform's answer when the step is not a transport failure; `step` carries platform-specific steps. */
  respond(req: RecordedRequest, step: Step<S>): FakeReply;
}

/** A request handler that plays the script first, then the platform logic, with delays applied. */
export function scriptedHandler<S extends object>(options: ScriptedOptions<S>) {
  const script = [...(options.script ?? [])];
  return {
    handle(req: RecordedRequest): FakeReply {
      const step = script.shift() ?? 'ok';
      const reply = transportReply(step, options.contentType) ?? options.respond(req, step);
      const delayMs = (step !== 'ok' && 'delayMs' in step ? (step.delayMs as number) : 0) + (options.latencyMs ?? 0);
      return delayMs > 0 ? { ...reply, delayMs } : reply;
    },
    /** Adds steps to the end of the script. */
    enqueue: (...steps: Array<Step<S>>): void => void script.push(...steps),
  };
}

export type AcceptLog<T> = ReturnType<typeof acceptLog<T>>;

/** What a fake accepted and why it refused, with a wait whose timeout error shows the last refusals. */
export function acceptLog<T>(name: string, pollMs = 10) {
  const accepted: T[] = [];
  /** Why requests were refused (validation), for assertions and debugging. */
  const rejections: string[] = [];
  return {
    accepted,
    rejections,
    /** Resolves once at least `n` events were accepted. */
    async waitForAccepted(n: number, timeoutMs = 10_000): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < n) {
        if (Date.now() > deadline) {
          const why = rejections.length > 0 ? `; rejections: ${rejections.slice(-3).join(' | ')}` : '';
          throw new Error(`${name} accepted ${accepted.length} events, expected ${n}${why}`);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
      return accepted;
    },
  };
}

/**
 * Starts a scripted fake on 127.0.0.1:0 and returns what its tests use. `log` is made first
 * because `respond` records into it.
 */
export async function serveScripted<S extends object, T>(log: AcceptLog<T>, options: ScriptedOptions<S>) {
  const scripted = scriptedHandler(options);
  const server = await startFakeServer(scripted.handle);
  return {
    url: server.url,
    requests: server.requests,
    accepted: log.accepted,
    rejections: log.rejections,
    enqueue: scripted.enqueue,
    waitForAccepted: log.waitForAccepted,
    close: () => server.close(),
  };
}
