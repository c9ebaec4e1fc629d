/** What a connector's `build` returns: a complete, inspectable request. */
export interface PlatformRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Already serialised (JSON text, form text…); undefined for GET. */
  body?: string;
}

export interface PlatformResponse {
  status: number;
  headers: Record<string, string>;
  /** Response body as text, cut at the client's capture limit. */
  body: string;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * The one outbound HTTP port. Connectors never open sockets themselves: the engine hands them
 * this client (tests point it at fakes on 127.0.0.1). Network failures and timeouts reject with a
 * `transient` DeliveryError; every HTTP status resolves.
 */
export interface HttpClient {
  send(request: PlatformRequest, options: SendOptions): Promise<PlatformResponse>;
  close(): Promise<void>;
}
