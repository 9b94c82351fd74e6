import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { invokeAsync } from '../../src/core/invoker.js';
import { LambdaInvoker } from '../../src/platform/lambda/lambda-invoker.js';
import { runtimeAccessKeyId } from '../../src/platform/local/sigv4.js';
import { sleepFunctionApiForSuite } from '../helpers/sleep-api.js';

const secret = 'a shared secret of the gateway and the runtime';

/** Issue 12, security: the embedded runtime's Lambda API refuses requests without the gateway's shared secret. */
describe('the Lambda API with a shared secret (AWS Signature V4)', () => {
  // A function without a model to load: what is tested is the API in front of it.
  const api = sleepFunctionApiForSuite(secret);

  const invoker = (secretAccessKey: string, accessKeyId = runtimeAccessKeyId) =>
    new LambdaInvoker({ endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, updateWaitS: 30 });

  it('serves Invoke, GetFunctionConfiguration and UpdateFunctionConfiguration signed with the secret (the AWS SDK unchanged)', async () => {
    const signed = invoker(secret);
    try {
      const outcome = await invokeAsync(signed, 'fn', { model: 'ocr-cls', inputs: [] });
      expect(outcome.ok).toBe(true);
      const client = new LambdaClient({ endpoint: api.endpoint, region: 'eu-west-1', credentials: { accessKeyId: runtimeAccessKeyId, secretAccessKey: secret }, maxAttempts: 1 });
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn', MemorySize: 1800 }));
      expect(await signed.getMemoryMb('fn')).toBe(1800);
      // A qualified name travels percent-encoded in the path, which the signature encodes once more.
      expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn:$LATEST' }))).MemorySize).toBe(1800);
      client.destroy();
    } finally {
      await signed.close();
    }
  });

  it('refuses a wrong secret, another access key id and an unsigned request with 403, running nothing', async () => {
    const before = api.runtime.billing.totalsFor('fn').invocations;
    for (const [client, errorType] of [[invoker('not the secret'), 'InvalidSignatureException'], [invoker(secret, 'AKIDEXAMPLE'), 'UnrecognizedClientException']] as const) {
      const outcome = await invokeAsync(client, 'fn', { model: 'ocr-cls', inputs: [] });
      expect(outcome).toMatchObject({ ok: false, error: { kind: 'invalid-request', errorType } });
      await client.close();
    }
    const unsigned = await fetch(`${api.endpoint}/2015-03-31/functions/fn/invocations`, { method: 'POST', body: '{"model":"ocr-cls","inputs":[]}' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect((await fetch(`${api.endpoint}/local/billing`)).status).toBe(403);
    expect(api.runtime.billing.totalsFor('fn').invocations).toBe(before);
  });

  it('refuses a signed request replayed with another body, or signed too long ago', async () => {
    // Capture one signed request as the SDK sends it, then replay it changed.
    let captured: { headers: Record<string, string>; body: string } | undefined;
    const spy = new LambdaClient({
      endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: runtimeAccessKeyId, secretAccessKey: secret }, maxAttempts: 1,
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body: string }) => {
          captured = { headers: request.headers, body: String(request.body) };
          throw new Error('captured');
        },
      } as never,
    });
    await spy.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn' })).catch(() => undefined);
    spy.destroy();
    expect(captured).toBeDefined();
    const replay = (headers: Record<string, string>, body?: string) =>
      fetch(`${api.endpoint}/2015-03-31/functions/fn/configuration`, { method: body === undefined ? 'GET' : 'PUT', headers, ...(body === undefined ? {} : { body }) });
    const headers = Object.fromEntries(Object.entries(captured!.headers).filter(([name]) => name.toLowerCase() !== 'host'));
    expect((await replay(headers)).status).toBe(200);
    const tampered = await replay(headers, '{"MemorySize":128}');
    expect(tampered.status).toBe(403);
    const old = { ...headers, 'x-amz-date': '20200101T000000Z' };
    expect((await replay(old)).status).toBe(403);
    expect(await api.runtime.getConfiguration('fn').MemorySize).not.toBe(128);
  });
});
