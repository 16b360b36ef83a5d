import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../src/demo/server.js';

let server: DemoServer;
beforeAll(async () => {
  server = await startDemoServer({ port: 0 });
});
afterAll(() => server.close());

function raw(o: { host: string; method?: string; path?: string; headers?: Record<string, string>; body?: string; address?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: o.address ?? '127.0.0.1', port: server.port, method: o.method ?? 'GET', path: o.path ?? '/', headers: { host: o.host, ...o.headers }, setHost: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('demo server: loopback only, its own Host only', () => {
  it('serves the page for localhost:PORT', async () => {
    const r = await raw({ host: `localhost:${server.port}` });
    expect(r.status).toBe(200);
    expect(r.body).toContain('PIN: always (required)');
  });
  it('sends 127.0.0.1:PORT to the same page under localhost (an IP address is no RP ID)', async () => {
    const r = await raw({ host: `127.0.0.1:${server.port}` });
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(`http://localhost:${server.port}/`);
  });
  it.each([['evil.example'], ['evil.example:PORT'], ['localhost:1'], ['']])('refuses Host %j with 421', async (host) => {
    const r = await raw({ host: host.replace('PORT', String(server.port)) });
    expect(r.status).toBe(421);
  });
  it('refuses a POST from another origin with 403, before reading it', async () => {
    const r = await raw({ host: `localhost:${server.port}`, method: 'POST', path: '/api/options', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(403);
  });
  it('refuses a malformed choice with the field named', async () => {
    const r = await raw({
      host: `localhost:${server.port}`, method: 'POST', path: '/api/options', headers: { origin: `http://localhost:${server.port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ceremony: 'register', choice: { userVerification: 'sometimes', passkey: false, attestation: 'none' } }),
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/userVerification/);
  });
  it('does not answer on the machine\'s other addresses', async (ctx) => {
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!other) return ctx.skip('this machine has no non-loopback IPv4 address to try');
    await expect(raw({ host: `localhost:${server.port}`, address: other.address })).rejects.toThrow(/ECONNREFUSED/);
  });
});
