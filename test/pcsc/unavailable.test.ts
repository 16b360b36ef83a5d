/**
 * Without a PC/SC service (or without the binding) HID keys work as before:
 * `list` silently shows no readers, and only a pcsc: selector fails, in one
 * line naming what to install. PCSCLITE_CSOCK_NAME points pcsc-lite's client
 * at a socket nobody serves, so this holds whether or not pcscd runs here.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/harness.js';
import { pcscInstallHint } from '../../src/transports/pcsc/pcsc-binding.js';
import { listPcscKeys } from '../../src/transports/pcsc/readers.js';

// test/setup.ts turns PC/SC off for the other tests; here the real binding meets a missing service.
const NO_SERVICE = { PCSCLITE_CSOCK_NAME: '/nonexistent/fido2-manage-test/pcscd.comm', FIDO2_MANAGE_PCSC: '' };

describe('PC/SC missing', () => {
  it('list shows no reader and no error', async () => {
    const r = await runCli(['list', '--json'], { env: NO_SERVICE });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { devices: { transport?: string }[] }).devices.filter((d) => d.transport === 'pcsc')).toEqual([]);
  });

  it('a pcsc: selector is exit 5 (unsupported), one line naming the Debian packages', async () => {
    const r = await runCli(['info', '--device', 'pcsc:ACS'], { env: NO_SERVICE });
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/PC\/SC readers cannot be used: .*apt install pcscd libpcsclite1/);
  });

  it('FIDO2_MANAGE_PCSC=off: no reader is looked at, and a pcsc: selector says how to turn it back on', async () => {
    const r = await runCli(['info', '--device', 'pcsc:ACS'], { env: { FIDO2_MANAGE_PCSC: 'off' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/FIDO2_MANAGE_PCSC=off turns them off; unset it/);
  });

  it('the reader listing swallows a failing binding', async () => {
    expect(await listPcscKeys({ openSystem: () => Promise.reject(new Error('no binding')) })).toEqual([]);
  });

  it.each([
    ['linux', 'service', /apt install pcscd libpcsclite1; systemctl start pcscd.socket/],
    ['linux', 'binding', /apt install pcscd libpcsclite1\) and the optional dependency pcsc-mini/],
    ['darwin', 'binding', /npm install pcsc-mini.*built in/],
    ['win32', 'service', /"Smart Card" service/],
  ] as const)('%s, %s missing: %s', (platform, missing, text) => {
    expect(pcscInstallHint(missing, platform)).toMatch(text);
  });
});
