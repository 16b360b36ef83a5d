/**
 * A key that was unplugged while its /dev/hidraw node is still listed (udev has not removed it yet):
 * open() fails with ENODEV. scripts/test-rig.sh runs this inside ../shared/hidraw's rig without --hotplug,
 * with /dev/hidraw0 forwarding to an address where nothing listens, and sets RIG_GONE.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const IN_RIG = Boolean(process.env.RIG_HIDRAW && process.env.RIG_GONE);

describe.skipIf(!IN_RIG)(`an unplugged USB key through the hidraw rig${IN_RIG ? '' : ' (skipped: RIG_HIDRAW and RIG_GONE are not set; npm run test:shared runs this inside ../shared/hidraw/rig.sh)'}`, () => {
  it('is reported as gone (exit 3), not as a key other programs hold', async () => {
    const r = await promisify(execFile)(process.execPath, [BIN, 'info', '--device', '/dev/hidraw0', '--json']).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('fido2-manage: The security key at /dev/hidraw0 is gone (it was unplugged); plug it in and retry');
    expect(JSON.parse(r.stdout).error.kind).toBe('no-device');
  });
});
