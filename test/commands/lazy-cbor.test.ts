import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './harness.js';

const HOOK = fileURLToPath(new URL('./loaded-modules.cjs', import.meta.url));

/** The CommonJS modules a CLI run loaded (cbor-x is loaded through require, on first use). */
async function loadedBy(args: string[], native: boolean | undefined): Promise<string[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'lazy-cbor-')), 'modules.txt');
  const env: Record<string, string> = { NODE_OPTIONS: `--require ${HOOK}`, LOADED_MODULES_OUT: out };
  if (native !== undefined) env.CBOR_NATIVE_ACCELERATION_DISABLED = native ? 'false' : 'true';
  await runCli(args, { env });
  return readFileSync(out, 'utf8').split('\n');
}
const cborModules = (files: string[]) => files.filter((f) => /[\\/](cbor-x|cbor-extract|@cbor-extract)[\\/]/.test(f));

describe('cbor-x is loaded only by commands that speak CTAP', () => {
  it.each([[['--version']], [['--help']], [['list']], [['list', '--json']], [['list', '--no-probe', '--device', 'sim,tcp:127.0.0.1:9']], [['info', '--help']]])('%j never loads it', async (args) => {
    expect(cborModules(await loadedBy(args, true))).toEqual([]);
  });

  // `list` opens each key it lists for its model (getInfo): with no key attached, or with --no-probe, it needs no CTAP.
  it('list --device sim loads it: the key is opened for its model', async () => {
    expect(cborModules(await loadedBy(['list', '--device', 'sim'], undefined)).some((f) => /[\\/]cbor-x[\\/]/.test(f))).toBe(true);
  });

  it('info --device sim loads it (so the check above can fail), without the native helper by default', async () => {
    const files = cborModules(await loadedBy(['info', '--device', 'sim', '--json'], undefined));
    expect(files.some((f) => /[\\/]cbor-x[\\/]/.test(f))).toBe(true);
    expect(files.some((f) => /cbor-extract/.test(f))).toBe(false);
  });

  it('the native helper is still used when CBOR_NATIVE_ACCELERATION_DISABLED=false', async () => {
    expect(cborModules(await loadedBy(['info', '--device', 'sim', '--json'], true)).some((f) => /cbor-extract/.test(f))).toBe(true);
  });
});
