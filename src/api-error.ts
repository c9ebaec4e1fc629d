/**
 * Inbound API errors. Every 4xx/5xx the gateway answers is JSON
 * `{ "error": { "code", "message", "details"? } }` (openapi.yaml `Error`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details !== undefined ? { details: this.details } : {}) } };
  }
}

export function zodDetails(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string; code?: string; keys?: string[] }>,
): Array<{ field: string; message: string }> {
  return issues.flatMap((i) =>
    // An unknown parameter is named as itself, not as its parent object.
    i.code === 'unrecognized_keys' && i.keys?.length
      ? i.keys.map((k) => ({ field: [...i.path.map(String), k].join('.'), message: 'is not a known parameter' }))
      : [{ field: i.path.map(String).join('.') || '(body)', message: i.message }],
  );
}
