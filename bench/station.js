// The provisioning station's figures: keys per minute through a station with 1 and with 8 ports, each
// key needing a generated PIN, a minimum length and always-UV, on the USB-key latency model
// (src/sim/latency.ts) — the station's own time per key, without the person's plugging and unplugging —
// and the journal's cost per key (one whole-line write + fsync).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyToTargets } from '../dist/fleet/apply-many.js';
import { HandoffFile, DIGITS } from '../dist/fleet/handoff.js';
import { Journal, policyDigest } from '../dist/fleet/journal.js';
import { serveKeys } from './keys.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const POLICY = { pin: true, minPinLength: { length: 8 }, alwaysUv: true };

async function throughput(ports, keysPerRun, runs) {
  const rates = [];
  for (let i = 0; i < runs; i++) {
    const keys = await serveKeys(keysPerRun, 'usb');
    const dir = mkdtempSync(join(tmpdir(), 'station-bench-'));
    const journal = await Journal.open(join(dir, 'journal.jsonl'));
    const handoff = HandoffFile.create(join(dir, 'handoff.csv'));
    try {
      const targets = keys.devices.map((d, n) => ({ selector: d, label: d, number: n + 1, id: d }));
      const t0 = performance.now();
      const results = await applyToTargets(targets, POLICY, {
        jobs: ports,
        station: { journal, digest: policyDigest(POLICY), station: 'bench', generate: { handoff, alphabet: [...DIGITS] } },
      });
      const wall = performance.now() - t0;
      if (!results.every((r) => r.ok && r.value.changed)) throw new Error(`station failed: ${JSON.stringify(results.find((r) => !r.ok)?.error)}`);
      rates.push((keysPerRun / wall) * 60_000);
    } finally {
      journal.close();
      handoff.close();
      keys.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return round(median(rates), 1);
}

async function journalCost(n = 200) {
  const dir = mkdtempSync(join(tmpdir(), 'station-journal-'));
  const file = join(dir, 'journal.jsonl');
  const journal = await Journal.open(file);
  const times = [];
  try {
    for (let i = 0; i < n; i++) {
      const entry = {
        time: new Date().toISOString(), station: 'bench',
        key: { id: `serial:${1000000 + i}`, device: '/dev/hidraw3', transport: 'hid', serial: String(1000000 + i), aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', model: 'YubiKey 5 Series', firmwareVersion: 328707 },
        policyDigest: policyDigest(POLICY),
        steps: [{ op: 'set-pin', description: 'set PIN', status: 'done' }, { op: 'min-pin-length', description: 'min PIN length 4 -> 8', status: 'done' }, { op: 'always-uv', description: 'always-UV on', status: 'done' }],
        outcome: 'changed', pinHandoff: 'handoff.csv#1',
      };
      const t0 = performance.now();
      journal.append(entry);
      times.push(performance.now() - t0);
    }
    return { medianMs: round(median(times), 3), bytesPerKey: Math.round(statSync(file).size / n) };
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function stationBench() {
  return {
    model: 'usb',
    keysPerMinute: { ports1: await throughput(1, 4, 3), ports8: await throughput(8, 16, 3) },
    journal: await journalCost(),
  };
}
