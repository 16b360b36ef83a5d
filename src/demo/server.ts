/**
 * The demo's HTTP server: loopback only, and only for its own Host, so no
 * other site (DNS rebinding) and no other machine can reach it. The page is
 * served as http://localhost:PORT, a secure context for WebAuthn; an IP
 * address cannot be an RP ID (WebAuthn §5.1.3 / HTML "valid domain").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { factsFromInfo, type Column, type UvFacts } from '../ctap/uv-prediction.js';
import { DemoSite } from './ceremony.js';
import { describedFacts } from './facts.js';
import { PAGE_HTML, PAGE_SCRIPT } from './page.js';
import { type Ceremony, type Choice, verdict } from './verdict.js';

export interface DemoServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Reads the key's getInfo (`--device`); without it the page describes the key. undefined: a U2F-only key. */
  readInfo?: () => Promise<AuthenticatorInfo | undefined>;
  /** Where the key's getInfo came from, for the page ("sim", a HID path). */
  keyLabel?: string;
}

export interface DemoServer {
  /** http://localhost:PORT/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const COLUMNS: readonly Column[] = ['discouraged', 'preferred', 'required'];

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function choiceFrom(v: unknown): Choice {
  const c = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (!COLUMNS.includes(c.userVerification as Column)) throw new HttpError(400, 'userVerification must be discouraged, preferred or required');
  if (typeof c.passkey !== 'boolean') throw new HttpError(400, 'passkey must be true or false');
  if (c.attestation !== 'none' && c.attestation !== 'direct') throw new HttpError(400, 'attestation must be none or direct');
  return { userVerification: c.userVerification as Column, passkey: c.passkey, attestation: c.attestation };
}

function ceremonyFrom(v: unknown): Ceremony {
  if (v !== 'register' && v !== 'sign-in') throw new HttpError(400, 'ceremony must be register or sign-in');
  return v;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through: the same answer as for a non-object
  }
  throw new HttpError(400, 'the body must be a JSON object');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The page loads its one script from here and talks only to this server.
    'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

export async function startDemoServer(o: DemoServerOptions): Promise<DemoServer> {
  let port = o.port;
  let site: DemoSite | undefined;
  const hosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  /** The key state for a prediction: the key's own getInfo when the server can read it, else the page's description. */
  async function factsFor(body: Record<string, unknown>): Promise<{ facts: UvFacts; source: 'getInfo' | 'page' }> {
    if (o.readInfo) return { facts: factsFromInfo(await o.readInfo()), source: 'getInfo' };
    const f = describedFacts(body.key);
    if (typeof f === 'string') throw new HttpError(400, f);
    return { facts: f, source: 'page' };
  }

  async function api(path: string, body: Record<string, unknown>): Promise<unknown> {
    if (path === '/api/key') {
      if (!o.readInfo) return { source: 'page' };
      return { source: 'getInfo', ...(o.keyLabel ? { label: o.keyLabel } : {}), facts: factsFromInfo(await o.readInfo()) };
    }
    const ceremony = ceremonyFrom(body.ceremony);
    const choice = choiceFrom(body.choice);
    if (path === '/api/options') {
      if (ceremony === 'sign-in' && !choice.passkey && site!.registered === 0) throw new HttpError(409, 'register a key first: a sign-in without a passkey names the credentials registered in this run');
      const { facts, source } = await factsFor(body);
      return { options: await site!.options(ceremony, choice, facts), source };
    }
    if (path !== '/api/result') throw new HttpError(404, 'no such endpoint');
    const pending = site!.take(ceremony);
    if (!pending) throw new HttpError(409, 'no ceremony is waiting for this answer: start again');
    const browserError = typeof body.error === 'string' ? body.error.slice(0, 300) : undefined;
    if (browserError !== undefined) {
      return { ceremony, verified: false, verdict: verdict(pending.facts, pending.choice, ceremony, { ok: false, stage: 'browser', message: browserError }), facts: pending.facts };
    }
    const checked = await site!.check(pending, body.response);
    const observed = checked.verified && checked.decoded
      ? { ok: true as const, up: checked.decoded.flags.up, uv: checked.decoded.flags.uv }
      : { ok: false as const, stage: 'server' as const, message: checked.refusal ?? 'the response could not be read' };
    return { ceremony, ...checked, verdict: verdict(pending.facts, pending.choice, ceremony, observed), facts: pending.facts };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A request for any other name (DNS rebinding, a proxy) is not for this server (RFC 9110 §15.5.20).
    if (!hosts().includes(req.headers.host ?? '')) return send(res, 421, 'text/plain; charset=utf-8', 'This server answers only for its own address.\n');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (req.method === 'GET') {
      // WebAuthn needs a domain as RP ID: the same page under the name localhost.
      if (req.headers.host === `127.0.0.1:${port}`) {
        res.writeHead(307, { location: `http://localhost:${port}${url.pathname}` });
        return void res.end();
      }
      if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      if (url.pathname === '/demo.js') return send(res, 200, 'text/javascript; charset=utf-8', PAGE_SCRIPT);
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n');
    // Only the page itself may start or answer a ceremony.
    if (req.headers.origin !== `http://localhost:${port}`) return json(res, 403, { error: 'requests must come from the demo page itself' });
    try {
      json(res, 200, await api(url.pathname, await readJson(req)));
    } catch (e) {
      if (e instanceof HttpError) return json(res, e.status, { error: e.message });
      json(res, 500, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  site = new DemoSite(`http://localhost:${port}`);
  return {
    url: `http://localhost:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
