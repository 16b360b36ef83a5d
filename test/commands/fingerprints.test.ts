/** `fingerprints list/add/rename/delete` through the built CLI against served virtual keys, on 0x09 and on 0x40. */
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { type KeyUnderTest, runCli, startKeyWithPin } from './harness.js';

const PIN = '1234';
const env = { FIDO2_PIN: PIN };
let k: KeyUnderTest | undefined;

afterEach(async () => {
  await k?.close();
  k = undefined;
});

async function keyWithPin(o: VirtualKeyOptions): Promise<KeyUnderTest> {
  k = await startKeyWithPin(PIN, o);
  return k;
}

async function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([...args, '--device', k!.device], { env: { ...env, ...extra } });
}

async function listJson(): Promise<{ id: string; name: string | null }[]> {
  const r = await cli(['--json', 'fingerprints', 'list']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { fingerprints: { id: string; name: string | null }[] }).fingerprints;
}

describe.each([
  ['fido-2.1', 0x09],
  ['fido-2.1-pre', 0x40],
] as const)('fingerprints on a %s key (command 0x%s)', (profile, command) => {
  it('adds with a name, lists, renames and deletes, each read back', async () => {
    await keyWithPin({ profile, uv: true, fingers: 0 });
    const empty = await cli(['fingerprints', 'list']);
    expect(empty.stdout).toContain('Sensor: touch, 4 samples per finger, names up to 32 bytes');
    expect(empty.stdout).toContain('No fingerprints enrolled');

    const add = await cli(['--json', 'fingerprints', 'add', '--name', 'left index']);
    expect(add.code, add.stderr).toBe(0);
    for (const n of [1, 2, 3, 4]) expect(add.stderr).toContain(`Touch the sensor (sample ${n} of 4)`);
    const added = JSON.parse(add.stdout) as { added: { id: string; name: string }; before: unknown[]; after: unknown[] };
    expect(added.added.name).toBe('left index');
    expect([added.before.length, added.after.length]).toEqual([0, 1]);
    expect(k!.ctapCommands).toContain(command);
    expect(k!.key.snapshot().fingerprints.map((f) => Buffer.from(f.id).toString('hex'))).toEqual([added.added.id]);

    const list = await cli(['fingerprints', 'list']);
    expect(list.stdout).toContain(`${added.added.id}  left index`);

    const rename = await cli(['--json', 'fingerprints', 'rename', added.added.id, 'thumb']);
    expect(rename.code, rename.stderr).toBe(0);
    expect(JSON.parse(rename.stdout)).toMatchObject({ ok: true, before: { name: 'left index' }, after: { name: 'thumb' } });
    expect(await listJson()).toEqual([{ id: added.added.id, name: 'thumb' }]);

    const del = await cli(['fingerprints', 'delete', added.added.id, '--yes']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`Deleted fingerprint ${added.added.id} "thumb"`);
    expect(await listJson()).toEqual([]);
    expect(k!.key.snapshot().fingerprints).toEqual([]);
  });

  it('explains bad samples and asks again until the good ones are in', async () => {
    await keyWithPin({ profile, uv: true, fingers: 0 });
    k!.key.scriptSamples([0x05, 0, 0x07, 0x0d, 0]);
    const r = await cli(['fingerprints', 'add']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('That sample was not usable: the finger was lifted too fast');
    expect(r.stderr).toContain('That sample was not usable: the sample was of poor quality');
    expect(r.stderr).toContain('That sample was not usable: no finger was felt');
    expect(r.stderr.split('Touch the sensor (sample 2 of 4)').length - 1).toBe(3);
    expect(r.stdout).toMatch(/Enrolled fingerprint [0-9a-f]+\. Name it with/);
    expect(k!.key.snapshot().fingerprints).toHaveLength(1);
  });

  it('Ctrl-C during a capture sends cancelCurrentEnrollment and exits 130 with no template kept', async () => {
    await keyWithPin({ profile, uv: true, fingers: 0 });
    k!.key.setPresence({ delayMs: 25_000 });
    let sent = false;
    const r = await runCli(['fingerprints', 'add', '--device', k!.device], {
      env,
      onStderr: (text, child) => {
        if (!sent && text.includes('Touch the sensor (sample 1 of 4)')) {
          sent = true;
          // Let the enrollBegin request reach the key before interrupting.
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('Enrollment cancelled');
    // sensor info, enumerate, enrollBegin, then the cancel
    expect(k!.ctapCommands.filter((c) => c === command)).toHaveLength(4);
    expect(k!.ctapCommands.at(-1)).toBe(command);
    expect(k!.key.snapshot().fingerprints).toEqual([]);
  });
});

describe('fingerprints refusals', () => {
  it('a key without a sensor: exit 5, one line', async () => {
    await keyWithPin({});
    const r = await cli(['fingerprints', 'list']);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no fingerprint sensor');
  });

  it('refuses a too-long name before enrolling or asking for the PIN', async () => {
    await keyWithPin({ uv: true, fingers: 0 });
    const before = k!.ctapCommands.length;
    const r = await cli(['fingerprints', 'add', '--name', 'n'.repeat(33)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('at most 32');
    expect(k!.ctapCommands.slice(before)).not.toContain(0x06);
    expect(k!.key.snapshot().fingerprints).toEqual([]);
  });

  it('a full template store is reported, nothing enrolled', async () => {
    await keyWithPin({ uv: true, fingers: 5 });
    const r = await cli(['fingerprints', 'add']);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain('no room for another fingerprint');
    expect(k!.key.snapshot().fingerprints).toHaveLength(5);
  });

  it('delete needs --yes off a terminal; unknown and malformed ids are refused', async () => {
    await keyWithPin({ uv: true });
    expect((await cli(['fingerprints', 'delete', '0001'])).code).toBe(2);
    expect((await cli(['fingerprints', 'delete', 'beef', '--yes'])).stderr).toContain('No fingerprint with id beef');
    expect((await cli(['fingerprints', 'rename', 'xyz', 'a'])).code).toBe(2);
    expect(k!.key.snapshot().fingerprints).toHaveLength(1);
  });

  it('--uv tokens work after enrolling and are refused after the last finger is deleted', async () => {
    await keyWithPin({ uv: true, fingers: 0 });
    expect((await cli(['verify-pin', '--uv'])).code).toBe(5);
    const add = await cli(['--json', 'fingerprints', 'add']);
    const id = (JSON.parse(add.stdout) as { added: { id: string } }).added.id;
    expect((await cli(['verify-pin', '--uv'])).code).toBe(0);
    // managing fingers by fingerprint works too
    expect((await cli(['fingerprints', 'list', '--uv'])).code).toBe(0);
    expect((await cli(['fingerprints', 'delete', id, '--yes'])).code).toBe(0);
    expect((await cli(['verify-pin', '--uv'])).code).toBe(5);
  });

  it('the fido2-manage single-dash forms enroll, list, rename and delete', async () => {
    await keyWithPin({ uv: true, fingers: 0 });
    const add = await runCli(['-fingerprint', '-fingerprintname', 'ring', '-device', k!.device, '-pin', PIN]);
    expect(add.code, add.stderr).toBe(0);
    const id = k!.key.snapshot().fingerprints.map((f) => Buffer.from(f.id).toString('hex'))[0]!;
    const list = await runCli(['-fingerprintlist', '-device', k!.device, '-pin', PIN]);
    expect(list.stdout).toContain(`${id}  ring`);
    expect((await runCli(['-renamefingerprint', id, 'pinky', '-device', k!.device, '-pin', PIN])).code).toBe(0);
    expect(k!.key.snapshot().fingerprints[0]!.name).toBe('pinky');
    expect((await runCli(['-deletefingerprint', id, '--yes', '-device', k!.device, '-pin', PIN])).code).toBe(0);
    expect(k!.key.snapshot().fingerprints).toEqual([]);
  });
});
