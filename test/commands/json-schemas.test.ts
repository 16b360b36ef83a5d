/**
 * Every `--json` document the CLI prints, produced for real against virtual keys and checked
 * against its JSON Schema in docs/schemas/ (the README points there): a renamed or added field
 * fails here until the schema and the README say so too.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freshState } from '../../src/sim/state.js';
import { startSimServer } from '../../src/sim/server.js';
import { aaguidBytes, profile as profileOf } from '../../src/sim/profiles.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { type CliResult, type KeyUnderTest, runCli, startKey, startKeyWithPin } from './harness.js';

const SCHEMAS = fileURLToPath(new URL('../../docs/schemas/', import.meta.url));
const BASE = 'https://fido2-manage.github.io/schemas/';
const PIN = { FIDO2_PIN: '1234' };

// ajv-formats is CommonJS with a default export; under ESM its function may sit one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, strictRequired: false, allErrors: true });
addFormats(ajv);
const schemaFiles = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'));
for (const f of schemaFiles) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);

/** Which schema a document answers to: failures share one, many keys share one, else one per command family. */
function schemaFor(doc: { ok: boolean; command: string | null; device: unknown; error?: unknown; matrix?: unknown }): string {
  if (Array.isArray(doc.device)) return doc.command === 'apply' ? 'apply' : 'many-keys';
  if (doc.command === 'apply' && 'event' in doc) return 'station-event';
  if (doc.command === 'uv-check' && doc.matrix !== undefined) return 'uv-check';
  if (!doc.ok) return 'error';
  const family = (doc.command ?? '').split(' ')[0]!;
  const byFamily: Record<string, string> = {
    'set-pin': 'settings-change', 'change-pin': 'settings-change', uvs: 'settings-change', uvd: 'settings-change', 'min-pin-length': 'settings-change',
    'force-pin-change': 'settings-change', 'enable-enterprise-attestation': 'settings-change', 'enable-long-touch-reset': 'settings-change', reset: 'settings-change', 'verify-pin': 'verify-pin',
  };
  return byFamily[family] ?? family;
}

/** The commands each schema was checked with; every schema in docs/schemas must be used. */
const seen = new Map<string, Set<string>>();

function check(r: CliResult, expectedCode = 0): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(expectedCode);
  return checkDoc(r.stdout);
}

function checkDoc(text: string): Record<string, unknown> {
  const doc = JSON.parse(text) as { ok: boolean; command: string | null; device: unknown };
  const schema = schemaFor(doc);
  const validate = ajv.getSchema(`${BASE}${schema}.schema.json`);
  expect(validate, `no schema ${schema}.schema.json`).toBeDefined();
  const valid = validate!(doc);
  expect(valid ? [] : validate!.errors, `${schema} for ${doc.command}: ${text.slice(0, 400)}`).toEqual([]);
  seen.set(schema, (seen.get(schema) ?? new Set()).add(String(doc.command)));
  return doc as Record<string, unknown>;
}

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  await Promise.all(keys.map((k) => k.close()));
  keys = [];
});
const served = async (k: Promise<KeyUnderTest>): Promise<KeyUnderTest> => {
  const key = await k;
  keys.push(key);
  return key;
};

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Two passkeys with a largeBlobKey (a.example, b.example), then PIN 1234. */
async function keyWithPasskeys(): Promise<{ k: KeyUnderTest; ids: string[] }> {
  const k = await served(startKey());
  const host = await CtapHost.open(k.key);
  const ids: string[] = [];
  for (const [rpId, name] of [['a.example', 'alice'], ['b.example', 'bob']] as const) {
    const params = makeCredentialParams({ rk: true, rpId, userId: utf8(`${name}-id`), extensions: { largeBlobKey: true } });
    params.set(3, { id: utf8(`${name}-id`), name });
    ids.push(b64(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId));
  }
  expect(await new Platform(host).setPin('1234')).toBe(0);
  host.close();
  return { k, ids };
}

describe('every --json document matches its schema in docs/schemas', () => {
  it('a CTAP 2.3 key: info with meanings, enable-long-touch-reset, min-pin-length --complexity', async () => {
    const d = (await served(startKey({ profile: 'fido-2.3' }))).device;
    expect(check(await runCli(['info', '--device', d, '--json'])).meanings).toBeDefined();
    expect(check(await runCli(['enable-long-touch-reset', '--device', d, '--yes', '--json'])).command).toBe('enable-long-touch-reset');
    expect(check(await runCli(['min-pin-length', '4', '--complexity', '--device', d, '--yes', '--json'])).pinComplexityPolicy).toBe(true);
  });
  it('list: named keys with their AAGUID and model, a U2F-only key with the reason, and --no-probe', async () => {
    const k = await served(startKey());
    const u2f = await served(startKey({ profile: 'u2f-only' }));
    const doc = check(await runCli(['list', '--device', `${k.device},${u2f.device},sim`, '--json']));
    expect(doc.devices).toEqual([
      { transport: 'tcp', path: k.device, aaguid: profileOf('fido-2.1').aaguid, model: 'fido2-manage virtual key (fido-2.1)' },
      { transport: 'tcp', path: u2f.device, aaguid: null, model: null, modelMissing: 'u2f-only' },
      { transport: 'sim', path: 'sim', aaguid: profileOf('fido-2.1').aaguid, model: 'fido2-manage virtual key (fido-2.1)' },
    ]);
    expect(check(await runCli(['list', '--no-probe', '--device', k.device, '--json'])).devices).toEqual([{ transport: 'tcp', path: k.device }]);
  });
  it('key information and settings changes, each command by name', async () => {
    const k = await served(startKey());
    const d = k.device;
    check(await runCli(['list', '--json']));
    expect(check(await runCli(['info', '--device', d, '--json'])).command).toBe('info');
    check(await runCli(['retries', '--device', d, '--json']));
    check(await runCli(['wink', '--device', d, '--json']));
    check(await runCli(['uv-check', '--device', d, '--json']));
    expect(check(await runCli(['set-pin', '--device', d, '--json'], { env: { FIDO2_NEW_PIN: '1234' } })).command).toBe('set-pin');
    check(await runCli(['change-pin', '--device', d, '--json'], { env: { FIDO2_PIN: '1234', FIDO2_NEW_PIN: '5678' } }));
    check(await runCli(['change-pin', '--device', d, '--json'], { env: { FIDO2_PIN: '5678', FIDO2_NEW_PIN: '1234' } }));
    check(await runCli(['verify-pin', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['uvs', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['uvd', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['min-pin-length', '4', '--rp-id', 'example.com', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['enable-enterprise-attestation', '--yes', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['uv-check', '--live', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['force-pin-change', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['reset', '--yes', '--no-replug', '--device', d, '--json']));
  });

  it('a CTAP 2.0 key and a U2F-only key', async () => {
    const old = await served(startKey({ profile: 'fido-2.0' }));
    check(await runCli(['info', '--device', old.device, '--json']));
    const u2f = await served(startKey({ profile: 'u2f-only' }));
    check(await runCli(['info', '--device', u2f.device, '--json']));
  });

  it('failures: usage errors, a wrong PIN, an unsupported key, a key that deviates', async () => {
    const k = await served(startKeyWithPin('1234'));
    const none = check(await runCli(['--json']), 2);
    expect(none.command).toBeNull();
    expect(check(await runCli(['credentials', 'list', '--bogus', '--json']), 2).command).toBe('credentials list');
    expect(check(await runCli(['verify-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: '9999' } }), 6)).toMatchObject({ command: 'verify-pin', error: { kind: 'pin-invalid' } });
    check(await runCli(['fingerprints', 'list', '--device', k.device, '--json'], { env: PIN }), 5);
    // A key that forgets always-UV while a sign-in is on it: uv-check's full report with ok false (exit 19).
    const state = freshState(aaguidBytes(profileOf('fido-2.1')));
    const q = await served(startKey({ state }));
    expect((await runCli(['set-pin', '--device', q.device], { env: { FIDO2_NEW_PIN: '1234' } })).code).toBe(0);
    expect((await runCli(['uvs', '--device', q.device], { env: PIN })).code).toBe(0);
    const connect = q.key.connect.bind(q.key);
    q.key.connect = (onReport) => {
      const link = connect((report) => {
        if (report[4] === 0x90) state.alwaysUv = true;
        onReport(report);
      });
      return {
        write(report: Uint8Array) {
          if (report[4] === 0x90 && report[7] === 0x02) state.alwaysUv = false;
          link.write(report);
        },
        close: () => link.close(),
      };
    };
    expect(check(await runCli(['uv-check', '--live', '--device', q.device, '--json'], { env: PIN }), 19)).toMatchObject({ ok: false, error: { kind: 'key-deviates' } });
  });

  it('credentials and large blobs', async () => {
    const { k, ids } = await keyWithPasskeys();
    const d = k.device;
    const dir = mkdtempSync(join(tmpdir(), 'json-schemas-'));
    writeFileSync(join(dir, 'blob'), 'hello');
    const list = check(await runCli(['credentials', 'list', '--device', d, '--json'], { env: PIN }));
    expect(list).toMatchObject({ command: 'credentials list', ctapCommand: 0x0a });
    check(await runCli(['credentials', 'list', '--rp', 'a.example', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['credentials', 'list', '--summary', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['credentials', 'update', ids[0]!, '--display-name', 'Alice', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'set', join(dir, 'blob'), '--credential', ids[0]!, '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'set', join(dir, 'blob'), '--credential', ids[1]!, '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'list', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'get', '--credential', ids[0]!, '-o', join(dir, 'out'), '--device', d, '--json'], { env: PIN }));
    const got = check(await runCli(['large-blobs', 'get', '--credential', ids[0]!, '--device', d, '--json'], { env: PIN }));
    expect(Buffer.from(String(got.data), 'base64').toString()).toBe('hello');
    check(await runCli(['large-blobs', 'delete', '--credential', ids[0]!, '--yes', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'clean', '--yes', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['credentials', 'delete', ids[1]!, '--yes', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['large-blobs', 'clean', '--yes', '--device', d, '--json'], { env: PIN }));
  });

  it('credentials with a remembered token (CTAP 2.3): keyId, fromCache, forget', async () => {
    const k = await served(startKeyWithPin('1234', { profile: 'fido-2.3' }));
    const env = { FIDO2_MANAGE_STATE_DIR: join(mkdtempSync(join(tmpdir(), 'json-schemas-state-')), 's') };
    const d = k.device;
    expect(check(await runCli(['credentials', 'list', '--remember', '--device', d, '--json'], { env: { ...env, ...PIN } }))).toHaveProperty('keyId');
    expect(check(await runCli(['credentials', 'list', '--device', d, '--json'], { env }))).toMatchObject({ fromCache: true });
    check(await runCli(['credentials', 'list', '--summary', '--device', d, '--json'], { env }));
    expect(check(await runCli(['credentials', 'forget', '--device', d, '--json'], { env }))).toMatchObject({ forgotten: true });
    expect(check(await runCli(['credentials', 'forget', '--all', '--json'], { env }))).toMatchObject({ device: null, forgotten: false, all: true });
  });

  it('fingerprints', async () => {
    const k = await served(startKeyWithPin('1234', { uv: true, fingers: 0 }));
    const d = k.device;
    const added = check(await runCli(['fingerprints', 'add', '--name', 'left', '--device', d, '--json'], { env: PIN })) as { added: { id: string } };
    check(await runCli(['fingerprints', 'list', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['fingerprints', 'rename', added.added.id, 'right', '--device', d, '--json'], { env: PIN }));
    check(await runCli(['fingerprints', 'delete', added.added.id, '--yes', '--device', d, '--json'], { env: PIN }));
  });

  it('select, many keys at once and apply', async () => {
    const a = await served(startKey());
    const b = await served(startKeyWithPin('12345678'));
    const PIN = { FIDO2_PIN: '12345678' };
    expect(check(await runCli(['select', a.device, '--json'])).command).toBe('select');
    const both = `${a.device},${b.device}`;
    expect(check(await runCli(['info', '--device', both, '--json']))).toMatchObject({ command: 'info', ok: true });
    check(await runCli(['verify-pin', '--device', both, '--json'], { env: PIN }), 14);
    check(await runCli(['uvs', '--device', both, '--json'], { env: PIN }));
    const dir = mkdtempSync(join(tmpdir(), 'json-schemas-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ pin: true, minPinLength: { length: 6 }, alwaysUv: false }));
    check(await runCli(['apply', join(dir, 'policy.json'), '--device', both, '--dry-run', '--json'], { env: PIN }));
    check(await runCli(['apply', join(dir, 'policy.json'), '--device', both, '--json'], { env: PIN }));
    writeFileSync(join(dir, 'lower.json'), JSON.stringify({ minPinLength: { length: 4 } }));
    check(await runCli(['apply', join(dir, 'lower.json'), '--device', both, '--json'], { env: PIN }), 8);
  });

  it('apply over one CTAP 2.3 key reached twice: keyId and sameKeyAs', async () => {
    const k = await served(startKeyWithPin('1234', { profile: 'fido-2.3' }));
    const second = await startSimServer(k.key, { host: '127.0.0.1', port: 0 });
    try {
      const env = { FIDO2_MANAGE_STATE_DIR: join(mkdtempSync(join(tmpdir(), 'json-schemas-')), 'state'), FIDO2_PIN: '1234' };
      expect((await runCli(['credentials', 'list', '--remember', '--device', k.device], { env })).code).toBe(0);
      const dir = mkdtempSync(join(tmpdir(), 'json-schemas-'));
      writeFileSync(join(dir, 'policy.json'), JSON.stringify({ alwaysUv: true }));
      const other = `tcp:127.0.0.1:${second.port}`;
      const doc = check(await runCli(['apply', join(dir, 'policy.json'), '--device', `${k.device},${other}`, '--json'], { env }));
      const results = doc.results as { device: string; keyId?: string; sameKeyAs?: string }[];
      // Both are worked on at once: whichever is recognised first is done, the other names it.
      const duplicates = results.filter((r) => r.sameKeyAs !== undefined);
      expect(duplicates).toHaveLength(1);
      expect(duplicates[0]!.sameKeyAs).toBe(duplicates[0]!.device === k.device ? other : k.device);
      expect(new Set(results.map((r) => r.keyId)).size).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('the provisioning station: apply with a journal, --watch event lines, journal report', async () => {
    const a = await served(startKey());
    const b = await served(startKeyWithPin('87654321'));
    const dir = mkdtempSync(join(tmpdir(), 'json-schemas-'));
    const journal = join(dir, 'journal.jsonl');
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ pin: true, minPinLength: { length: 8 } }));
    const batch = check(await runCli(['apply', join(dir, 'policy.json'), '--device', a.device, '--journal', journal, '--generate-pins', join(dir, 'pins.csv'), '--json']));
    expect((batch.results as Record<string, unknown>[])[0]).toMatchObject({ outcome: 'changed', pinHandoff: `${join(dir, 'pins.csv')}#1` });
    // A watch ended by Ctrl-C once the results are out: every line is one document.
    const watch = await runCli(['apply', join(dir, 'policy.json'), '--watch', '--include-present', '--device', `${a.device},${b.device}`, '--journal', journal, '--json'], {
      env: { FIDO2_PIN: '00000000' },
      onStdout: (out, child) => (out.split('\n').filter((l) => l.includes('"result"')).length === 2 ? child.kill('SIGINT') : undefined),
    });
    const lines = watch.stdout.trim().split('\n');
    const events = lines.map((l) => checkDoc(l));
    expect(events.filter((e) => e.event === 'result').map((e) => e.outcome).sort()).toEqual(['failed', 'skipped']);
    check(await runCli(['journal', 'report', journal, '--json']));
  });
});

afterAll(() => {
  // Run alone (all tests), every schema file was checked against at least one real document.
  if (seen.size < 8) return;
  const unused = schemaFiles.map((f) => f.replace('.schema.json', '')).filter((s) => s !== 'common' && !seen.has(s));
  expect(unused).toEqual([]);
});
