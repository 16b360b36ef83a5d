import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MDS_ROOT_PEM, verifyMdsBlob } from '../../src/devices/mds.js';

/** A test root and a signer it issued (made with openssl), standing in for GlobalSign R3 and the MDS signer. */
let root: string;
let other: string;
let leafDer: Buffer;
let leafKey: ReturnType<typeof createPrivateKey>;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'mds-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['root', 'other']) {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', `/CN=Test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  }
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=Test MDS signer');
  ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30');
  root = readFileSync(join(dir, 'root.pem'), 'utf8');
  other = readFileSync(join(dir, 'other.pem'), 'utf8');
  leafDer = Buffer.from(new X509Certificate(readFileSync(join(dir, 'leaf.pem'))).raw);
  leafKey = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
});

const AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const PAYLOAD = {
  no: 42,
  nextUpdate: '2030-01-01',
  entries: [
    {
      aaguid: AAGUID,
      metadataStatement: { description: 'A Test Key' },
      statusReports: [
        { status: 'FIDO_CERTIFIED', effectiveDate: '2020-01-01' },
        { status: 'FIDO_CERTIFIED_L2', effectiveDate: '2021-06-01' },
      ],
    },
    { aaid: '0000#0001', statusReports: [] },
  ],
};

function jwt(payload: object, o: { x5c?: Buffer[]; alg?: string } = {}): string {
  const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = enc({ alg: o.alg ?? 'ES256', typ: 'JWT', x5c: (o.x5c ?? [leafDer]).map((c) => c.toString('base64')) });
  const body = enc(payload);
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: leafKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${sig.toString('base64url')}`;
}

describe('MDS BLOB', () => {
  it('reads the model and its latest certification level once chain and signature verify', () => {
    const blob = verifyMdsBlob(jwt(PAYLOAD), { roots: [root] });
    expect(blob.no).toBe(42);
    expect(blob.entries.get(AAGUID)).toEqual({ aaguid: AAGUID, description: 'A Test Key', status: 'FIDO_CERTIFIED_L2', statusDate: '2021-06-01' });
    expect(blob.entries.size).toBe(1);
  });

  it.each([
    ['a chain to another root', () => verifyMdsBlob(jwt(PAYLOAD), { roots: [other] }), /not signed by a chain/],
    ['the embedded FIDO root (a test chain is not the real one)', () => verifyMdsBlob(jwt(PAYLOAD)), /not signed by a chain/],
    ['a changed payload', () => { const [h, , s] = jwt(PAYLOAD).split('.'); return verifyMdsBlob(`${h}.${Buffer.from(JSON.stringify({ ...PAYLOAD, no: 43 })).toString('base64url')}.${s}`, { roots: [root] }); }, /signature/],
    ['no chain', () => verifyMdsBlob(jwt(PAYLOAD, { x5c: [] }), { roots: [root] }), /x5c/],
    ['an expired signer', () => verifyMdsBlob(jwt(PAYLOAD), { roots: [root], now: new Date(Date.now() + 400 * 86400_000) }), /validity/],
    ['an algorithm MDS does not use', () => verifyMdsBlob(jwt(PAYLOAD, { alg: 'none' }), { roots: [root] }), /none/],
    ['not a JWT', () => verifyMdsBlob('abc', { roots: [root] }), /not a JWT/],
  ])('refuses %s', (_name, run, message) => {
    expect(run).toThrow(message);
  });

  it('embeds GlobalSign Root CA - R3, the MDS root', () => {
    const c = new X509Certificate(MDS_ROOT_PEM);
    expect(c.subject).toMatch(/GlobalSign Root CA - R3/);
    expect(c.fingerprint256).toBe('CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B');
  });
});

describe('--mds on the command line', () => {
  it('a BLOB that does not verify is a usage error before anything is sent to the key', async () => {
    const { runCli, startKey } = await import('../commands/harness.js');
    const k = await startKey();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mds-cli-'));
      const file = join(dir, 'blob.jwt');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, jwt(PAYLOAD));
      writeFileSync(join(dir, 'policy.json'), '{"pin": true}');
      for (const args of [['info', '--device', k.device, '--mds', file, '--json'], ['apply', join(dir, 'policy.json'), '--device', k.device, '--mds', file, '--json']]) {
        const r = await runCli(args, { env: { FIDO2_PIN: '12345678' } });
        expect(r.code, r.stderr).toBe(2);
        expect(JSON.parse(r.stdout).error).toMatchObject({ kind: 'usage', reason: 'mds-invalid' });
      }
      expect(k.ctapCommands).toEqual([]);
    } finally {
      await k.close();
    }
  });
});
