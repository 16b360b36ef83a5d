/**
 * The demo page in a real browser: Debian's chromium, headless, driven by
 * playwright-core, with Chromium's virtual authenticator (CDP WebAuthn domain)
 * as the key. Skipped, with the reason printed, where /usr/bin/chromium is absent
 * (.ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../src/demo/server.js';

// The page's DOM, as the functions run inside the browser see it (the tests compile without lib "dom").
declare const document: { getElementById(id: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null };

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) console.warn(`demo browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

type Uv = 'discouraged' | 'preferred' | 'required';
/** Virtual authenticator settings, and how the page describes that key for the prediction. */
interface KeyState {
  virtual: { hasUserVerification: boolean; isUserVerified: boolean };
  described: { clientPin: string; alwaysUv: boolean; makeCredUvNotRqd: boolean };
}
const STATES: Record<string, KeyState> = {
  'no user verification': { virtual: { hasUserVerification: false, isUserVerified: false }, described: { clientPin: 'absent', alwaysUv: false, makeCredUvNotRqd: true } },
  'UV supported, no PIN': { virtual: { hasUserVerification: true, isUserVerified: false }, described: { clientPin: 'unset', alwaysUv: false, makeCredUvNotRqd: true } },
  // Chromium's virtual key verifies at every registration, as a key with makeCredUvNotRqd off does (CTAP 2.1 §6.1.2 step 8).
  'with a PIN': { virtual: { hasUserVerification: true, isUserVerified: true }, described: { clientPin: 'set', alwaysUv: false, makeCredUvNotRqd: false } },
  // CDP has no always-UV switch: the key is described as always-UV, and the page names where the virtual key answers without UV.
  'always-UV': { virtual: { hasUserVerification: true, isUserVerified: true }, described: { clientPin: 'set', alwaysUv: true, makeCredUvNotRqd: false } },
};

/** What the page must show: status, UP, UV (null: no response to show), and the verdict. */
interface Shown {
  status: RegExp;
  up?: boolean;
  uv?: boolean;
  match?: boolean;
  verdict: RegExp;
}
const TOUCH = /^As predicted: touch only/;
const VERIFIED = /^As predicted: the PIN, because/;
const DENIED = /^The prediction was (touch only, UV 0|set a PIN first, UV 1), but the browser reported: NotAllowedError/;
const CELLS: Array<[state: string, uv: Uv, register: Shown, signIn: Shown]> = [
  ['no user verification', 'discouraged', { status: /Registered/, up: true, uv: false, match: true, verdict: TOUCH }, { status: /Signed in/, up: true, uv: false, match: true, verdict: TOUCH }],
  ['no user verification', 'preferred', { status: /Registered/, up: true, uv: false, match: true, verdict: TOUCH }, { status: /Signed in/, up: true, uv: false, match: true, verdict: TOUCH }],
  ['no user verification', 'required', { status: /Rejected/, match: true, verdict: /^As predicted: fails: this key cannot verify users/ }, { status: /Error: register a key first/, verdict: /^$/ }],
  // Chromium's virtual key whose user verification fails answers every request with an error: the page names it.
  ['UV supported, no PIN', 'discouraged', { status: /Rejected/, match: false, verdict: DENIED }, { status: /Error: register a key first/, verdict: /^$/ }],
  ['UV supported, no PIN', 'preferred', { status: /Rejected/, match: false, verdict: DENIED }, { status: /Error: register a key first/, verdict: /^$/ }],
  ['UV supported, no PIN', 'required', { status: /Rejected/, match: false, verdict: DENIED }, { status: /Error: register a key first/, verdict: /^$/ }],
  ['with a PIN', 'discouraged', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: false, match: true, verdict: TOUCH }],
  ['with a PIN', 'preferred', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: true, match: true, verdict: VERIFIED }],
  ['with a PIN', 'required', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: true, match: true, verdict: VERIFIED }],
  ['always-UV', 'discouraged', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: false, match: false, verdict: /^Always-UV is on but the key answered without UV\.$/ }],
  ['always-UV', 'preferred', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: true, match: true, verdict: VERIFIED }],
  ['always-UV', 'required', { status: /Registered/, up: true, uv: true, match: true, verdict: VERIFIED }, { status: /Signed in/, up: true, uv: true, match: true, verdict: VERIFIED }],
];

let context: BrowserContext;
/** One server per page: each cell starts with no credentials registered. */
const servers: DemoServer[] = [];
let userDataDir: string;

beforeAll(async () => {
  if (!present) return;
  const { chromium } = await import('playwright-core');
  userDataDir = mkdtempSync(join(tmpdir(), 'fido2-demo-chromium-'));
  // A persistent context is how playwright takes a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await Promise.all(servers.map((s) => s.close()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function pageWithKey(state: KeyState): Promise<Page> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'usb', hasResidentKey: true, automaticPresenceSimulation: true, ...state.virtual },
  });
  const server = await startDemoServer({ port: 0 });
  servers.push(server);
  await page.goto(server.url);
  await page.selectOption('#ctap', 'fido-2.1');
  await page.selectOption('#clientPin', state.described.clientPin);
  await page.setChecked('#alwaysUv', state.described.alwaysUv);
  await page.setChecked('#makeCredUvNotRqd', state.described.makeCredUvNotRqd);
  return page;
}

async function press(page: Page, button: '#register' | '#signin'): Promise<Record<string, string>> {
  await page.evaluate(() => (document.getElementById('status')!.textContent = ''));
  await page.click(button);
  await page.waitForFunction(() => /^(Registered|Signed in|Rejected|Error)/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 30_000 });
  return page.evaluate(() => {
    const t = (id: string): string => document.getElementById(id)!.textContent ?? '';
    return { status: t('status'), up: t('r-up'), uv: t('r-uv'), backup: t('r-backup'), aaguid: t('r-aaguid'), model: t('r-model'), fmt: t('r-fmt'), verified: t('r-verified'), counter: t('r-counter'), predicted: t('r-predicted'), verdict: t('r-verdict'), match: document.getElementById('r-verdict')!.dataset.match ?? '' };
  });
}

function expectShown(got: Record<string, string>, want: Shown): void {
  expect(got.status).toMatch(want.status);
  if (want.status.source.startsWith('Error')) return;
  expect(got.verdict).toMatch(want.verdict);
  expect(got.match).toBe(String(want.match));
  expect(got.predicted).not.toBe('');
  if (want.up === undefined) return;
  expect(got.up).toMatch(want.up ? /^UP 1/ : /^UP 0/);
  expect(got.uv).toMatch(want.uv ? /^UV 1/ : /^UV 0/);
  expect(got.backup).toBe('BE 0, BS 0 (bound to this key)');
  expect(got.verified).toBe('yes');
  expect(Number(got.counter)).toBeGreaterThan(0);
}

describe.skipIf(!present)('demo page in headless Chromium with a virtual authenticator', () => {
  it.each(CELLS)('%s, %s: register and sign in', async (stateName, uv, register, signIn) => {
    const page = await pageWithKey(STATES[stateName]!);
    try {
      await page.selectOption('#uv', uv);
      expectShown(await press(page, '#register'), register);
      expectShown(await press(page, '#signin'), signIn);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a passkey with direct attestation: the model named, the packed attestation verified, sign-in without naming credentials', async () => {
    const page = await pageWithKey(STATES['with a PIN']!);
    try {
      await page.selectOption('#uv', 'preferred');
      await page.setChecked('#passkey', true);
      await page.selectOption('#attestation', 'direct');
      const reg = await press(page, '#register');
      expect(reg.status).toBe('Registered.');
      expect(reg.fmt).toBe('packed');
      expect(reg.aaguid).toBe('01020304-0506-0708-0102-030405060708');
      expect(reg.model).toBe('Chromium virtual authenticator');
      expect(reg.verified).toBe('yes');
      expect(reg.predicted).toMatch(/^PIN, UV 1/);
      mkdirSync(fileURLToPath(new URL('../../docs/', import.meta.url)), { recursive: true });
      await page.screenshot({ path: fileURLToPath(new URL('../../docs/demo.png', import.meta.url)), fullPage: true });
      expectShown(await press(page, '#signin'), { status: /Signed in/, up: true, uv: true, match: true, verdict: VERIFIED });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('rejects a sign-in whose signature was tampered with on the way', async () => {
    const page = await pageWithKey(STATES['with a PIN']!);
    try {
      await page.selectOption('#uv', 'preferred');
      expect((await press(page, '#register')).status).toBe('Registered.');
      await page.route('**/api/result', async (route) => {
        const body = JSON.parse(route.request().postData() ?? '{}') as { response?: { response?: { signature?: string } } };
        const sig = Buffer.from(body.response!.response!.signature!, 'base64url');
        sig[sig.length - 1]! ^= 0x01;
        body.response!.response!.signature = sig.toString('base64url');
        await route.continue({ postData: JSON.stringify(body) });
      });
      const got = await press(page, '#signin');
      expect(got.status).toBe('Rejected.');
      expect(got.verified).toMatch(/^no: /);
      expect(got.match).toBe('false');
      expect(got.verdict).toMatch(/^The server refused the response: /);
    } finally {
      await page.close();
    }
  }, 60_000);
});
