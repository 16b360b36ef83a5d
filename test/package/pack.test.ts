import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startKey, type KeyUnderTest } from '../commands/harness.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const DEPS = ['@noble', 'commander', 'node-hid', 'node-addon-api', 'pkg-prebuilds'];

let dir: string;
let key: KeyUnderTest | undefined;
afterAll(async () => {
  await key?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Installs the tarball as a user would (npm install <tgz>). Without a registry,
 * the tarball is unpacked where npm would put it and its dependencies linked
 * from this checkout, which still tests what the package ships and exports.
 */
async function install(project: string, tgz: string): Promise<string> {
  try {
    await run(NPM, ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tgz], { cwd: project, timeout: 120_000 });
    return 'npm install';
  } catch {
    const target = join(project, 'node_modules', 'fido2-manage');
    mkdirSync(target, { recursive: true });
    await run('tar', ['-xzf', tgz, '-C', target, '--strip-components=1']);
    for (const d of DEPS) symlinkSync(join(ROOT, 'node_modules', d), join(project, 'node_modules', d));
    return 'unpacked';
  }
}

describe('the packed package', () => {
  it('installs from its tarball, imports with types, and provisions a key', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fido2-pack-'));
    // dist/ is built by `npm run build` before the tests, as for the CLI tests.
    await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, timeout: 60_000 });
    const tgz = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    await install(project, tgz);

    key = await startKey();
    writeFileSync(
      join(project, 'provision.ts'),
      `import { applyPolicy, openKey, Fido2Error, EXIT_CODES, type PolicyResult, type Policy } from 'fido2-manage';
const policy: Policy = { pin: true, minPinLength: { length: 6 }, alwaysUv: true };
const results: PolicyResult[] = await applyPolicy([process.argv[2]!], policy, { pin: '86427531' });
const key = await openKey(process.argv[2]!);
const state = await key.state();
await key.close();
const gone = (await applyPolicy('tcp:127.0.0.1:1', policy, { timeoutMs: 2000 }))[0]!.error;
let kind = '';
try { await applyPolicy([process.argv[2]!], JSON.parse('{"alwaysUV": true}') as Policy); } catch (e) { if (e instanceof Fido2Error) kind = e.kind; }
console.log(JSON.stringify({ results, state, partial: EXIT_CODES.partial, kind, gone }));
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, outDir: 'out', skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] } }),
    );
    // The declarations resolve through the exports map and type-check a strict consumer.
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, timeout: 120_000 }).catch((e: { stdout?: string }) => {
      throw new Error(`consumer does not type-check:\n${e.stdout ?? String(e)}`);
    });
    const { stdout } = await run(process.execPath, [join(project, 'out', 'provision.js'), key.device], { cwd: project, timeout: 60_000 });
    const out = JSON.parse(stdout) as { results: Array<{ ok: boolean; changed: boolean; steps: Array<{ description: string }> }>; state: Record<string, unknown>; partial: number; kind: string; gone: { kind: string; exitCode: number } };
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({ ok: true, changed: true });
    expect(out.results[0]!.steps.map((s) => s.description)).toEqual(['set PIN', 'min PIN length 4 -> 6', 'always-UV on']);
    expect(out.state).toMatchObject({ pinSet: true, minPinLength: 6, alwaysUv: true });
    expect(out.partial).toBe(14);
    expect(out.kind).toBe('usage');
    expect(out.gone).toMatchObject({ kind: 'no-device', exitCode: 3 });
    expect(key.key.snapshot().alwaysUv).toBe(true);
  }, 300_000);
});
