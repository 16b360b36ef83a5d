// Start-up of --version and `info --device sim --json` as ratios to `node -e 0`, in one run:
// the hand-written codecs (a build passed as argv[2]) and cbor-x with and without its native helper.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/fido2-manage.js', import.meta.url));
const OTHER = process.argv[2];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status} ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const cases = {
  node: () => time(['-e', '0']),
  ...(OTHER && {
    beforeVersion: () => time([OTHER, '--version']),
    beforeInfo: () => time([OTHER, 'info', '--device', 'sim', '--json']),
  }),
  nativeVersion: () => time([BIN, '--version']),
  nativeInfo: () => time([BIN, 'info', '--device', 'sim', '--json']),
  jsVersion: () => time([BIN, '--version'], { CBOR_NATIVE_ACCELERATION_DISABLED: 'true' }),
  jsInfo: () => time([BIN, 'info', '--device', 'sim', '--json'], { CBOR_NATIVE_ACCELERATION_DISABLED: 'true' }),
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < 15; i++) for (const [k, f] of Object.entries(cases)) times[k].push(f());
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const out = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ms: Math.round(v * 10) / 10, ratio: Math.round((v / m.node) * 100) / 100 }]));
console.log(JSON.stringify(out, null, 2));
