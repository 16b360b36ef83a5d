/**
 * Issue 20's proof that the CLI, `apply` and the library run one set of
 * operations: every path that sends a PIN reads getPINRetries first (so a key
 * that wants a power cycle or is near its block gets no PIN), and a floor on
 * the retries refuses before any PIN is sent, on every path alike.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPolicy, openKey } from '../../src/index.js';
import { runCli, startKeyWithPin, type KeyUnderTest } from '../commands/harness.js';

const PIN = '24681357';
const GET_RETRIES = 0x01;
const TOKEN_BY_PIN = [0x05, 0x09];
const CHANGE_PIN = 0x04;

const keys: KeyUnderTest[] = [];
afterEach(async () => {
  for (const k of keys.splice(0)) await k.close();
});

/** The PIN-carrying subCommands the key saw, each preceded by a getPINRetries since the last one. */
function pinSentAfterRetries(subs: readonly number[]): boolean[] {
  const out: boolean[] = [];
  let readSince = false;
  for (const s of subs) {
    if (s === GET_RETRIES) readSince = true;
    if (TOKEN_BY_PIN.includes(s) || s === CHANGE_PIN) {
      out.push(readSince);
      readSince = false;
    }
  }
  return out;
}

const policyFile = (policy: object): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'f2m-policy-')), 'policy.json');
  writeFileSync(f, JSON.stringify(policy));
  return f;
};

type Path = [string, (k: KeyUnderTest) => Promise<unknown>];

const paths: Path[] = [
  ['uvs (CLI)', (k) => runCli(['uvs', '--device', k.device], { env: { FIDO2_PIN: PIN } })],
  ['apply {"alwaysUv": true} (CLI)', (k) => runCli(['apply', policyFile({ alwaysUv: true }), '--device', k.device], { env: { FIDO2_PIN: PIN } })],
  ['applyPolicy (library)', (k) => applyPolicy(k.device, { alwaysUv: true }, { pin: PIN })],
  ['Fido2Key.setAlwaysUv (library)', async (k) => (await openKey(k.device)).setAlwaysUv(true, PIN)],
  ['change-pin (CLI)', (k) => runCli(['change-pin', '--device', k.device], { env: { FIDO2_PIN: PIN, FIDO2_NEW_PIN: '97531864' } })],
  ['Fido2Key.changePin (library)', async (k) => (await openKey(k.device)).changePin(PIN, '97531864')],
  ['credentials list (CLI)', (k) => runCli(['credentials', 'list', '--device', k.device], { env: { FIDO2_PIN: PIN } })],
  ['Fido2Key.listCredentials (library)', async (k) => (await openKey(k.device)).listCredentials(PIN)],
  ['large-blobs list (CLI)', (k) => runCli(['large-blobs', 'list', '--device', k.device], { env: { FIDO2_PIN: PIN } })],
  ['Fido2Key.getLargeBlob (library)', async (k) => (await openKey(k.device)).getLargeBlob(PIN, new Uint8Array(16)).catch(() => undefined)],
];

describe('every path reads the retries before it sends a PIN', () => {
  it.each(paths)('%s', async (_name, run) => {
    const k = await startKeyWithPin(PIN);
    keys.push(k);
    await run(k);
    const sent = pinSentAfterRetries(k.clientPinSubCommands);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every(Boolean)).toBe(true);
  });
});

describe('a retries floor refuses before any PIN is sent, on every path', () => {
  const floorPaths: Path[] = [
    ['uvs --min-retries 8 (CLI)', (k) => runCli(['uvs', '--device', k.device, '--min-retries', '8', '--json'], { env: { FIDO2_PIN: PIN } })],
    ['apply --min-retries 8 (CLI)', (k) => runCli(['apply', policyFile({ alwaysUv: true }), '--device', k.device, '--min-retries', '8', '--json'], { env: { FIDO2_PIN: PIN } })],
    ['Fido2Key.setAlwaysUv with minRetries 8 (library)', async (k) => (await openKey(k.device, { minRetries: 8 })).setAlwaysUv(true, PIN).catch((e: unknown) => e)],
  ];
  it.each(floorPaths)('%s', async (_name, run) => {
    const k = await startKeyWithPin(PIN);
    keys.push(k);
    await run(k);
    expect(k.clientPinSubCommands).toContain(GET_RETRIES);
    expect(k.clientPinSubCommands.filter((s) => TOKEN_BY_PIN.includes(s))).toEqual([]);
    expect(k.key.snapshot().alwaysUv).toBe(false);
  });
});
