/**
 * The README's library examples (the blocks marked `<!-- library-example -->` under "## Library")
 * are code a user copies: each must type-check under `strict` against the built package as it is
 * imported (`from 'fido2-manage'`), and the provisioning example must do what it says on served
 * virtual keys.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey, startKeyWithPin } from '../commands/harness.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Example {
  name: string;
  code: string;
}

/** The marked blocks of the "## Library" section, named by the file their first line names. */
export function libraryExamples(markdown: string): Example[] {
  const start = markdown.indexOf('\n## Library\n');
  if (start < 0) return [];
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/<!-- library-example -->\n```(?:js|ts)\n([\s\S]*?)```/g)].map((m) => {
    const code = m[1]!;
    const name = /^\/\/ ([\w-]+)\.mjs/.exec(code)?.[1];
    if (name === undefined) throw new Error(`a library example must start with "// NAME.mjs": ${code.slice(0, 60)}`);
    return { name, code };
  });
}

const examples = libraryExamples(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const project = mkdtempSync(join(tmpdir(), 'readme-examples-'));
// The package as `import ... from 'fido2-manage'` finds it: this checkout, through its package.json exports.
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'fido2-manage'), 'dir');

const keys: KeyUnderTest[] = [];
afterAll(async () => {
  await Promise.all(keys.map((k) => k.close()));
  rmSync(project, { recursive: true, force: true });
});

describe("the README's library examples", () => {
  it('are found: every block in the Library section is marked', () => {
    expect(examples.map((e) => e.name)).toEqual(['provision', 'state', 'enroll']);
  });

  it('type-check under strict against the built package', async () => {
    for (const e of examples) writeFileSync(join(project, `${e.name}.mts`), e.code);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: examples.map((e) => `${e.name}.mts`),
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(
      () => ({ code: 0, out: '' }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, out: e.stdout ?? '' }),
    );
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('provision.mjs brings two served virtual keys to its policy, and state.mjs reads one back', async () => {
    const fresh = await startKey();
    keys.push(fresh);
    const withPin = await startKeyWithPin('12345678');
    keys.push(withPin);
    for (const e of examples) writeFileSync(join(project, `${e.name}.mjs`), e.code);
    writeFileSync(join(project, 'pins.csv'), `${fresh.device},12345678\n${withPin.device},12345678\n`);
    const { stdout } = await run(process.execPath, ['provision.mjs', 'pins.csv', `${fresh.device},${withPin.device}`], { cwd: project, timeout: 30_000 });
    expect(stdout).toContain(`${fresh.device}: ok - set PIN, min PIN length 4 -> 8, always-UV on`);
    expect(stdout).toContain(`${withPin.device}: ok - min PIN length 4 -> 8, always-UV on`);
    for (const k of [fresh, withPin]) {
      const info = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout) as { info: { minPINLength: number; options: { alwaysUv: boolean; clientPin: boolean } } };
      expect(info.info).toMatchObject({ minPINLength: 8, options: { alwaysUv: true, clientPin: true } });
    }
    const state = await run(process.execPath, ['state.mjs', fresh.device], { cwd: project, timeout: 30_000 });
    expect(state.stdout).toBe('PIN set: true, minimum PIN length 8, always-UV true\n');
  });
});
