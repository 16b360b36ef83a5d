/**
 * The provisioning station's presentation: its options (--journal, --station,
 * --generate-pins, --pin-alphabet, --watch, --include-present), and while
 * watching a large result line per key followed by "remove the key" (text) or
 * one JSON line per key event (--json).
 */
import { exitCodeFor } from '../../exit-codes.js';
import { notice, printLine, withCommand } from '../output.js';
import type { StationKeyResult } from '../../fleet/provision.js';
import { fleetOutcome, type KeyResult, summaryLine } from '../../fleet/results.js';
import type { FleetEvent } from '../../fleet/runner.js';
import { type StationEvent, watchStation } from '../../fleet/station.js';
import type { Target } from '../../fleet/selection.js';
import { FleetExit } from './fleet-output.js';
import { keyName } from './progress.js';

export { closeSetup, type StationFlags } from '../../fleet/station-setup.js';
import { type StationFlags, stationSetup as setupWith } from '../../fleet/station-setup.js';
import type { Policy } from '../../fleet/policy.js';

/** The station's setup for the CLI: warnings about the journal go to stderr. */
export const stationSetup = (f: StationFlags, policy: Policy, dryRun: boolean) => setupWith(f, policy, dryRun, notice);

/** How often the station looks for keys coming and going. */
export const POLL_MS = 250;

/** The fields a station adds to a key's JSON entry. */
export function stationFields(v: StationKeyResult | undefined): Record<string, unknown> {
  if (!v) return {};
  return {
    outcome: v.outcome,
    ...(v.key.model ? { model: v.key.model } : {}),
    ...(v.key.keyId ? { keyId: v.key.keyId } : {}),
    ...(v.key.certification ? { certification: v.key.certification } : {}),
    ...(v.redone ? { redone: true } : {}),
    ...(v.pinHandoff ? { pinHandoff: v.pinHandoff } : {}),
  };
}

const BAR = '='.repeat(12);

/** The result lines a person at the station reads from across the desk; pure. */
export function resultLines(r: KeyResult<StationKeyResult>): string[] {
  const v = r.value;
  const who = `${keyName(r.target)}${v?.key.model ? `  ${v.key.model}` : ''}${v?.key.certification ? ` (${v.key.certification})` : ''}`;
  const done = v?.steps.filter((s) => s.status === 'done').map((s) => s.description) ?? [];
  let head: string;
  let detail: string;
  if (!r.ok) {
    head = `FAILED (${r.error!.kind})`;
    detail = done.length ? `changed: ${done.join(', ')}; then ${r.error!.message}` : r.error!.message;
  } else if (v?.outcome === 'skipped') {
    head = 'ALREADY DONE';
    detail = 'the journal has it done under this policy and it still complies; nothing was sent';
  } else if (v?.outcome === 'compliant') {
    head = 'ALREADY COMPLIANT';
    detail = 'nothing to change';
  } else {
    head = 'DONE';
    detail = `${v?.redone ? 'changed since it was done; done again: ' : ''}${done.join(', ')}`;
  }
  if (v?.pinHandoff) detail += `; PIN on file at ${v.pinHandoff}`;
  return ['', `${BAR}  ${head}  ${BAR}  ${who}`, `    ${detail}`, '    >>> remove the key <<<', ''];
}

/** One compact JSON line per key event. */
function jsonLine(e: StationEvent<StationKeyResult>): void {
  const base = { ok: e.event === 'result' ? e.result.ok : true, device: e.target.label, event: e.event, key: e.target.number, ...(e.target.serial ? { serial: e.target.serial } : {}) };
  let doc: Record<string, unknown> = base;
  if (e.event === 'result') {
    const r = e.result;
    const v = r.value;
    doc = {
      ...base,
      ...(v?.aaguid ? { aaguid: v.aaguid } : {}),
      ...stationFields(v),
      ...(r.ok ? {} : { outcome: 'failed' }),
      ...(r.error ? { error: { kind: r.error.kind, exitCode: exitCodeFor(r.error.kind), message: r.error.message, ...(r.error.reason ? { reason: r.error.reason } : {}) } } : {}),
      steps: (v?.steps ?? []).map((s) => ({ op: s.step.op, description: s.description, status: s.status })),
    };
  }
  process.stdout.write(`${JSON.stringify(withCommand(doc))}\n`);
}

function textEvent(e: StationEvent<StationKeyResult>): void {
  if (e.event === 'present') printLine(`${keyName(e.target)} was attached before the station started: left alone (remove it, or pass --include-present)`);
  else if (e.event === 'arrived') printLine(`${keyName(e.target)} arrived: working on it...`);
  else if (e.event === 'removed') printLine(`${keyName(e.target)} removed`);
  else for (const l of resultLines(e.result)) printLine(l);
}

export interface WatchRun {
  json: boolean | undefined;
  hid: boolean;
  pcsc: boolean;
  tcp: readonly Target[];
  includePresent: boolean;
  signal: AbortSignal;
  provision(t: Target, onEvent: (e: FleetEvent) => void): Promise<KeyResult<StationKeyResult>>;
}

/** Watches until Ctrl-C, then says what was done and exits with the fleet's code. */
export async function runWatch(w: WatchRun): Promise<void> {
  const what = [w.hid ? 'USB keys' : '', w.pcsc ? 'PC/SC readers' : '', ...w.tcp.map((t) => t.label)].filter((x) => x !== '').join(', ');
  const results = await watchStation<StationKeyResult>({
    hid: w.hid,
    pcsc: w.pcsc,
    tcp: w.tcp,
    includePresent: w.includePresent,
    pollMs: POLL_MS,
    signal: w.signal,
    onReady: () => notice(`Provisioning station: watching ${what}; plug in keys, Ctrl-C to stop.`),
    onEvent: (e) => (w.json ? jsonLine(e) : textEvent(e)),
    provision: (t) => w.provision(t, (e) => (e.phase === 'touch' && !w.json ? notice(`key ${t.number}: touch the key`) : undefined)),
  });
  const summary = results.length === 0 ? 'No key was provisioned.' : summaryLine(results);
  notice(`Station stopped. ${summary}`);
  const outcome = results.length === 0 ? 'ok' : fleetOutcome(results);
  if (outcome !== 'ok') throw new FleetExit(outcome === 'internal' ? 'partial' : outcome, summary);
}
