import type { ConnectorContext, ConnectorIo, PlatformRequest, PlatformResponse } from '../../src/connector-kit';
import { forgetAccessToken, getAccessToken } from '../_shared/google-oauth';
import type { DataManagerCredentials, DataManagerSettings } from './schema';

/** OAuth refresh (cached per credentials until expiry), then the request `build` described. */
export async function sendIngest(
  request: PlatformRequest,
  io: ConnectorIo,
  ctx: ConnectorContext<DataManagerSettings, DataManagerCredentials>,
): Promise<PlatformResponse> {
  const { tokenUrl } = ctx.settings;
  const token = await getAccessToken(io.http, tokenUrl, ctx.credentials, ctx.now, io.timeoutMs);
  const response = await io.http.send({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }, { timeoutMs: io.timeoutMs });
  // A refused token is dropped, so the attempt after "resume" fetches a new one.
  if (response.status === 401) forgetAccessToken(tokenUrl, ctx.credentials);
  return response;
}
