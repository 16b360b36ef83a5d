// `npm run bench`: start-up, round trips, throughput and fleet scale, each figure taken in this one
// run and, where a ratio makes sense, divided by a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeMessage, MessageAssembler, parsePacket } from '../dist/transports/ctaphid/packets.js';
import { pinProtocolV1, pinProtocolV2 } from '../dist/ctap/pin-protocol.js';
import { loadP256 } from '../dist/p256.js';
import { p256 } from '@noble/curves/nist.js';
import { VirtualKey } from '../dist/sim/virtual-key.js';
import { startSimServer } from '../dist/sim/server.js';
import { openDevice } from '../dist/devices/discovery.js';
import { Ctap2 } from '../dist/ctap/ctap2.js';
import { ClientPin } from '../dist/ctap/client-pin.js';
import { credentialsListCounts } from './credentials-count.js';
import { countedKey, runCli, serveKeys } from './keys.js';
import { applyPolicy } from '../dist/index.js';
import { stationBench } from './station.js';

const BIN = fileURLToPath(new URL('../bin/fido2-manage.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function timeRun(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function startup(runs = 15) {
  const cases = { node: ['-e', '0'], version: [BIN, '--version'], info: [BIN, 'info', '--device', 'sim', '--json'] };
  const times = { node: [], version: [], info: [] };
  // Interleaved so that drift in machine load hits every case alike.
  for (let i = 0; i < runs + 2; i++) for (const [k, args] of Object.entries(cases)) {
    const ms = timeRun(args);
    if (i >= 2) times[k].push(ms); // two warm-up rounds fill the file cache
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  return {
    runs,
    medianMs: { node: round(m.node, 1), version: round(m.version, 1), info: round(m.info, 1) },
    versionRatio: round(m.version / m.node),
    infoRatio: round(m.info / m.node),
    targets: { versionRatio: 1.5, infoRatio: 2.5 },
  };
}



async function roundTrips() {
  const PIN = { FIDO2_PIN: '4821' };
  const PINS = { ...PIN, FIDO2_NEW_PIN: '97531246' };
  const libfido2 = { info: 3, retries: 3, 'set-pin': 7, 'change-pin': 8, uvs: 9, uvd: 9 };
  // Reports the issues added on purpose over libfido2: getPINRetries before a PIN is sent (issue 8 §1, "the
  // accepted price") and the getInfo that reads back the state `after` a change (issue 8 §5).
  const allowance = { 'set-pin': { reports: 1, why: 'after read back' }, 'change-pin': { reports: 2, why: 'retries read, after read back' } };
  const ops = {
    info: { setup: [], args: ['info'] },
    retries: { setup: [], args: ['retries'] },
    'set-pin': { setup: [], args: ['set-pin'] },
    'change-pin': { setup: [['set-pin']], args: ['change-pin'] },
    uvs: { setup: [['set-pin']], args: ['uvs'] },
    uvd: { setup: [['set-pin'], ['uvs']], args: ['uvd'] },
  };
  const out = {};
  for (const [name, op] of Object.entries(ops)) {
    const k = await countedKey();
    try {
      for (const s of op.setup) await runCli([...s, '--device', k.device], PIN);
      Object.assign(k.counts, { written: 0, read: 0, transactions: 0 });
      await runCli([...op.args, '--device', k.device, '--json'], op.args[0] === 'change-pin' ? PINS : PIN);
      out[name] = { ...k.counts, libfido2Written: libfido2[name], ...(allowance[name] ? { allowance: allowance[name] } : {}) };
    } finally {
      await k.close();
    }
  }
  return out;
}

function perSecond(fn, ms = 1000) {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

async function throughput() {
  await loadP256();
  const payload = randomBytes(7609);
  const asm = new MessageAssembler();
  const msgs = perSecond(() => {
    let msg;
    for (const r of encodeMessage(0x01020304, 0x81, payload)) msg = asm.push(parsePacket(r)) ?? msg;
    if (!msg || msg.payload.length !== 7609) throw new Error('reassembly failed');
  });
  const authPriv = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(authPriv, false);
  const peer = new Map([[1, 2], [3, -25], [-1, 1], [-2, pub.slice(1, 33)], [-3, pub.slice(33)]]);
  const pinHash = randomBytes(16);
  const protocolOps = (p) =>
    perSecond(() => {
      const enc = p.encapsulate(peer);
      p.encrypt(enc.sharedSecret, pinHash);
      const tokenEnc = p.encrypt(enc.sharedSecret, randomBytes(32));
      p.decrypt(enc.sharedSecret, tokenEnc);
    }, 1500);
  return {
    ctaphidMBps: round((msgs * 7609) / 1e6, 1),
    pinProtocolOpsPerSec: { v1: Math.round(protocolOps(pinProtocolV1)), v2: Math.round(protocolOps(pinProtocolV2)) },
  };
}

async function infoOnKeys(ports) {
  const t0 = performance.now();
  await Promise.all(
    ports.map(async (port) => {
      const dev = await openDevice(`tcp:127.0.0.1:${port}`, { timeoutMs: 10000 });
      try {
        const ctap = new Ctap2(dev);
        const info = await ctap.getInfo();
        await new ClientPin(ctap, info).getPinRetries();
      } finally {
        await dev.close();
      }
    }),
  );
  return performance.now() - t0;
}

async function fleet(latencyMs) {
  const { ports, stop } = await serveKeys(32, latencyMs);
  try {
    const wall = {};
    for (const n of [1, 8, 32]) {
      const times = [];
      for (let i = 0; i < 9; i++) times.push(await infoOnKeys(ports.slice(0, n)));
      wall[n] = median(times.slice(2));
    }
    return {
      replyLatencyMs: latencyMs,
      medianMs: Object.fromEntries(Object.entries(wall).map(([n, ms]) => [n, round(ms, 1)])),
      ratio8: round(wall[8] / wall[1]),
      ratio32: round(wall[32] / wall[1]),
      target32: 3,
    };
  } finally {
    stop();
  }
}

/**
 * The served key behind a relay that either closes its side once the host has closed (like our sim) or
 * never does (like the pico-keys emulation). Both go through the same relay, so only that differs.
 */
async function relayedKey(neverCloses) {
  const key = new VirtualKey();
  const upstream = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  const sockets = new Set();
  const relay = createServer({ allowHalfOpen: neverCloses }, (host) => {
    const up = connect({ host: '127.0.0.1', port: upstream.port });
    sockets.add(host);
    sockets.add(up);
    host.on('error', () => up.destroy());
    up.on('error', () => host.destroy());
    host.pipe(up, { end: false });
    up.pipe(host, { end: false });
    host.on('end', () => up.destroy());
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  return {
    device: `tcp:127.0.0.1:${relay.address().port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
      await upstream.close();
    },
  };
}

/** `info` on a key that never closes its side of the connection, divided by `info` on one that does. */
async function softwareKeyClose(runs = 15) {
  const keys = { closes: await relayedKey(false), neverCloses: await relayedKey(true) };
  const times = { closes: [], neverCloses: [] };
  const timed = async (device) => {
    const t0 = performance.now();
    await runCli(['info', '--device', device, '--json']);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < runs + 2; i++) for (const [k, key] of Object.entries(keys)) {
      const ms = await timed(key.device);
      if (i >= 2) times[k].push(ms);
    }
  } finally {
    await Promise.all(Object.values(keys).map((k) => k.close()));
  }
  const m = { closes: median(times.closes), neverCloses: median(times.neverCloses) };
  return { runs, medianMs: { closes: round(m.closes, 1), neverCloses: round(m.neverCloses, 1) }, ratio: round(m.neverCloses / m.closes), target: 1.1 };
}


/**
 * `apply` (set PIN + minimum length + always-UV) over N fresh keys with the library the CLI uses,
 * in this process: wall time, and this process's CPU per key per PIN-protected change (the minimum
 * length and always-UV need the PIN token; setting the first PIN does not, so it is not counted).
 */
async function fleetApply(mode, runs = 3) {
  const policy = { pin: true, minPinLength: { length: 6 }, alwaysUv: true };
  const out = {};
  for (const n of [1, 8, 32]) {
    const walls = [];
    const cpus = [];
    for (let i = 0; i < runs; i++) {
      const keys = await serveKeys(n, mode);
      try {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const results = await applyPolicy(keys.devices, policy, { pin: '86427531', jobs: n });
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        if (!results.every((r) => r.ok && r.changed)) throw new Error(`apply failed: ${JSON.stringify(results.find((r) => !r.ok))}`);
        walls.push(wall);
        cpus.push((cpu.user + cpu.system) / 1000 / (n * 2));
      } finally {
        keys.stop();
      }
    }
    out[n] = { wallMs: round(median(walls), 1), cpuMsPerKeyChange: round(median(cpus), 2) };
  }
  return { model: mode, perN: out, ratio8: round(out[8].wallMs / out[1].wallMs), ratio32: round(out[32].wallMs / out[1].wallMs), targets: { ratio32: 1.5, cpuMsPerKeyChange: 5 } };
}

const results = { date: new Date().toISOString(), node: process.version };
results.startup = startup();
results.roundTrips = await roundTrips();
results.softwareKeyClose = await softwareKeyClose();
results.credentialsList = await credentialsListCounts();
results.throughput = await throughput();
// Instant replies measure the host's own cost per key; 2 ms per report is a USB key at a 2 ms polling interval.
results.fleet = await fleet(0);
results.fleetUsbLatency = await fleet(2);
// Warm the library's lazy loads (P-256, node modules) so the first N is not charged for them.
await fleetApply('0', 1);
results.fleetApplyInstant = await fleetApply('0');
results.fleetApplyUsb = await fleetApply('usb');
results.station = await stationBench();
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

const s = results.startup;
const mark = (ok) => (ok ? 'met' : 'MISSED');
const rows = [
  ['Start-up --version / node -e 0', `${s.versionRatio}x`, '<= 1.5x', mark(s.versionRatio <= 1.5)],
  ['Start-up info --device sim / node -e 0', `${s.infoRatio}x`, '<= 2.5x', mark(s.infoRatio <= 2.5)],
];
for (const [op, c] of Object.entries(results.roundTrips)) {
  const extra = c.allowance?.reports ?? 0;
  const target = extra ? `<= ${c.libfido2Written} + ${extra} written (libfido2 + ${c.allowance.why})` : `<= ${c.libfido2Written} written`;
  rows.push([`Reports written/read, transactions: ${op}`, `${c.written}/${c.read}, ${c.transactions}`, target, mark(c.written <= c.libfido2Written + extra)]);
}
const kc = results.softwareKeyClose;
rows.push(['info, key never closing its side / one that does', `${kc.ratio}x`, '<= 1.1x', mark(kc.ratio <= 1.1)]);
{
  const c = results.credentialsList;
  const fmt = (x) => `${x.written}/${x.read}, ${x.transactions}`;
  // libfido2's 18 is the issue's figure for 1 RP with 1 credential (not measured here; see bench/credentials-count.js).
  rows.push(['Reports written/read, transactions: credentials list, 2 RPs 3 creds', fmt(c.twoRpsThreeCredentials), `< ${c.libfido2Written} written (libfido2, 1 RP 1 cred, issue figure)`, mark(c.twoRpsThreeCredentials.written < c.libfido2Written)]);
  rows.push(['Reports written/read, transactions: credentials list, 1 RP 1 cred', fmt(c.oneRpOneCredential), `< ${c.libfido2Written} written (libfido2, issue figure)`, mark(c.oneRpOneCredential.written < c.libfido2Written)]);
}
rows.push(['CTAPHID fragment + reassemble 7609 B', `${results.throughput.ctaphidMBps} MB/s`, '-', '-']);
rows.push(['PIN protocol v1 key agreement + token', `${results.throughput.pinProtocolOpsPerSec.v1} ops/s`, '-', '-']);
rows.push(['PIN protocol v2 key agreement + token', `${results.throughput.pinProtocolOpsPerSec.v2} ops/s`, '-', '-']);
for (const [f, label] of [[results.fleet, 'instant key'], [results.fleetUsbLatency, '2 ms/report key']]) {
  rows.push([`Fleet info, ${label}: 8 keys / 1 key`, `${f.ratio8}x`, '-', '-']);
  rows.push([`Fleet info, ${label}: 32 keys / 1 key`, `${f.ratio32}x`, '<= 3x', mark(f.ratio32 <= 3)]);
}
for (const [f, label] of [[results.fleetApplyUsb, 'USB-key model'], [results.fleetApplyInstant, 'instant key']]) {
  const target = label === 'USB-key model';
  for (const n of [1, 8, 32]) rows.push([`Fleet apply, ${label}: ${n} key${n > 1 ? 's' : ''} wall`, `${f.perN[n].wallMs} ms`, '-', '-']);
  rows.push([`Fleet apply, ${label}: 32 keys / 1 key wall`, `${f.ratio32}x`, target ? '<= 1.5x' : '-', target ? mark(f.ratio32 <= 1.5) : '-']);
  const cpu = Math.max(...[1, 8, 32].map((n) => f.perN[n].cpuMsPerKeyChange));
  rows.push([`Fleet apply, ${label}: host CPU per key per PIN-protected change (worst N)`, `${cpu} ms`, target ? '<= 5 ms' : '-', target ? mark(cpu <= 5) : '-']);
}
{
  const st = results.station;
  rows.push(['Station, USB-key model, PIN + min length + always-UV: keys/min, 1 port', `${st.keysPerMinute.ports1}`, '-', '-']);
  rows.push(['Station, USB-key model, PIN + min length + always-UV: keys/min, 8 ports', `${st.keysPerMinute.ports8}`, '-', '-']);
  rows.push(['Station journal: one line per key (write + fsync)', `${st.journal.medianMs} ms, ${st.journal.bytesPerKey} B`, '-', '-']);
}
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['Measure', 'Value', 'Target', 'Status'][i].length));
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(['Measure', 'Value', 'Target', 'Status']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log(`\nmedians: node ${s.medianMs.node} ms, --version ${s.medianMs.version} ms, info ${s.medianMs.info} ms; info on a key that closes ${kc.medianMs.closes} ms, that never closes ${kc.medianMs.neverCloses} ms; fleet ${JSON.stringify(results.fleet.medianMs)} ms, with 2 ms/report ${JSON.stringify(results.fleetUsbLatency.medianMs)} ms`);
console.log(`written to ${RESULTS}`);

// APDUs over PC/SC against python-fido2: needs pcscd, vpcd and python-fido2, and says so in one line when they are missing.
spawnSync(process.execPath, [fileURLToPath(new URL('./pcsc-apdus.js', import.meta.url))], { stdio: 'inherit' });
