import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, startKey } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

describe('fido2-manage demo', () => {
  it.each([['x'], ['65536'], ['-1']])('--port %s is a usage error', async (port) => {
    const r = await runCli(['demo', '--port', port]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port takes a port number from 0 to 65535/);
  });

  it('refuses --json: it serves a page and prints no document', async () => {
    const r = await runCli(['demo', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: 'demo', error: { kind: 'usage' } });
  });

  it('serves the page, reads getInfo of --device for the prediction, and stops on Ctrl-C', async () => {
    const k = await startKey();
    try {
      const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--device', k.device], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Demo page: (http:\/\/localhost:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('close', () => reject(new Error(`demo ended before printing its address: ${out}`)));
      });
      const page = await fetch(url);
      expect(await page.text()).toContain('PIN: never (discouraged)');
      const origin = url.replace(/\/$/, '');
      const key = (await (await fetch(`${origin}/api/key`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' })).json()) as Record<string, unknown>;
      expect(key).toMatchObject({ source: 'getInfo', facts: { ctap: 'fido-2.1', clientPin: 'unset' } });
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code).toBe(0);
    } finally {
      await k.close();
    }
  });
});
