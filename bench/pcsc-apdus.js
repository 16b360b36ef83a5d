// `node bench/pcsc-apdus.js`: APDUs per operation over PC/SC, fido2-manage against python-fido2's
// CtapPcscDevice, both on the virtual key as a card (`sim --vpcd`) in pcscd's vpcd reader, each
// operation on a freshly started card. Prints one line "PC/SC bench skipped: ..." and exits 0 when
// pcscd, vpcd or python-fido2 is missing, so that `npm run bench` can call it anywhere.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/fido2-manage.js', import.meta.url));
const PY = fileURLToPath(new URL('./pcsc_apdus.py', import.meta.url));
const MAKE_PASSKEY = fileURLToPath(new URL('../test/pcsc/make_passkey.py', import.meta.url));
const RESULTS = fileURLToPath(new URL('./pcsc-results.json', import.meta.url));
const VPCD = process.env.VPCD ?? '127.0.0.1:35963';
const SOCKET = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';
const READER = 'Virtual PCD 00 00';
const PYTHON = '/usr/bin/python3';
const PIN = '24681357';

class Skipped extends Error {}
function skip(why) {
  throw new Skipped(why);
}

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const started = [];
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}
const cleanup = async () => {
  for (const c of started.reverse()) await stop(c);
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

/** Another run (a test, another bench) using vpcd: only one program may be the card at a time. */
function vpcdBusy() {
  const r = spawnSync('pgrep', ['-f', 'sim --vpcd'], { encoding: 'utf8' });
  const mine = new Set(started.map((c) => String(c.pid)));
  return r.stdout.split('\n').filter((p) => p && !mine.has(p)).length > 0;
}

function cli(args, env = {}) {
  // Bounded: a run that hangs (seen once, set-pin not exiting after its last APDU) fails the bench instead.
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

/** A fresh card: the previous sim stopped, a new one started and seen in the reader. */
let sim;
async function freshCard() {
  if (sim) {
    await stop(sim);
    started.splice(started.indexOf(sim), 1);
  }
  sim = spawn(process.execPath, [BIN, 'sim', '--vpcd', VPCD], { stdio: 'ignore' });
  started.push(sim);
  for (let i = 0; i < 50; i++) {
    if (/via pcsc/.test(cli(['list']).stdout)) return;
    await sleep(200);
  }
  throw new Error(`the virtual card did not appear in "${READER}" within 10 s`);
}

/** What the CLI sends, counted from its --verbose log (one line per APDU, SELECT included). */
function ours(args, env) {
  const r = cli([...args, '--device', `pcsc:${READER}`, '--verbose'], env);
  if (r.status !== 0) throw new Error(`fido2-manage ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stderr.split('\n').filter((l) => /\bAPDU [0-9a-f]{2} [0-9a-f]{2} /.test(l)).length;
}

function theirs(op, env) {
  const out = execFileSync(PYTHON, [PY, READER, op], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out).apdus;
}

const setPin = () => {
  const r = cli(['set-pin', '--device', `pcsc:${READER}`], { FIDO2_NEW_PIN: PIN });
  if (r.status !== 0) throw new Error(`set-pin (setup) exited ${r.status}: ${r.stderr}`);
};
const makePasskey = () => execFileSync(PYTHON, [MAKE_PASSKEY, READER, 'a.example', 'alice'], { stdio: 'pipe', timeout: 60_000 });

const OPS = [
  { name: 'info', state: 'fresh key', setup: [], args: ['info', '--json'], env: {} },
  { name: 'set-pin', state: 'no PIN', setup: [], args: ['set-pin', '--json'], env: { FIDO2_NEW_PIN: PIN }, pyEnv: { FIDO2_PIN: PIN } },
  { name: 'uvs', state: 'PIN set, always-UV off', setup: [setPin], args: ['uvs', '--json'], env: { FIDO2_PIN: PIN } },
  { name: 'credentials-list', state: 'PIN set, 1 passkey', setup: [makePasskey, setPin], args: ['credentials', 'list', '--json'], env: { FIDO2_PIN: PIN } },
];

async function main() {
  if (!which('pcscd')) skip('pcscd is not installed (Debian: apt install pcscd vsmartcard-vpcd)');
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import fido2.pcsc, smartcard'], { stdio: 'ignore' }).status !== 0) {
    skip('python3-fido2 and python3-pyscard are needed for the comparison');
  }
  let startedPcscd = false;
  if (!existsSync(SOCKET)) {
    const pcscd = spawn('pcscd', ['-f'], { stdio: 'ignore' });
    started.push(pcscd);
    startedPcscd = true;
    for (let i = 0; i < 50 && !existsSync(SOCKET); i++) await sleep(100);
    if (!existsSync(SOCKET)) skip(`pcscd did not start (no ${SOCKET}; it needs root)`);
  }
  for (let waited = 0; vpcdBusy(); waited += 20) {
    if (waited >= 600) throw new Error('another `sim --vpcd` has held vpcd for 10 minutes; run again when it is done');
    console.error('vpcd is in use by another `sim --vpcd`; waiting 20 s');
    await sleep(20_000);
  }
  try {
    await freshCard();
  } catch (error) {
    skip(`no virtual card in the vpcd reader "${READER}" (${error.message}; is vsmartcard-vpcd installed?)`);
  }
  const results = {};
  for (const op of OPS) {
    // The same state for each tool: a fresh card, the same setup.
    for (const s of op.setup) s();
    const mine = ours(op.args, op.env);
    await freshCard();
    for (const s of op.setup) s();
    const python = theirs(op.name, op.pyEnv ?? op.env);
    results[op.name] = { state: op.state, fido2Manage: mine, pythonFido2: python, met: mine <= python };
    await freshCard();
  }
  const doc = {
    reader: READER,
    pcscdStartedByBench: startedPcscd,
    note: 'APDU exchanges (each command APDU sent gets one response APDU). python-fido2 counts include CtapPcscDevice\'s open-time SELECT + getInfo probe and Ctap2\'s getInfo; ours include the SELECT and the getInfo read-back the tool does on purpose.',
    operations: results,
  };
  writeFileSync(RESULTS, `${JSON.stringify(doc, null, 2)}\n`);
  const rows = Object.entries(results).map(([n, r]) => [n, r.state, String(r.fido2Manage), String(r.pythonFido2), r.met ? 'met' : 'MISSED']);
  const head = ['Operation (PC/SC)', 'Card state', 'fido2-manage APDUs', 'python-fido2 APDUs', 'Status'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(`written to ${RESULTS}`);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof Skipped)) throw error;
  console.log(`PC/SC bench skipped: ${error.message}`);
} finally {
  await cleanup();
}
