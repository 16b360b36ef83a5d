/**
 * `fido2-manage apply POLICY.json [--dry-run]`: the policy is validated before
 * any key is touched; then every selected key is read, planned, changed under
 * its lock and read back, concurrently; one table (or JSON document) reports
 * each key's steps and its state before and after.
 */
import { onInterrupt } from '../interrupt.js';
import { readFile } from 'node:fs/promises';
import { Fido2Error } from '../../errors.js';
import type { ApplyKeyResult, KeyPins } from '../../fleet/apply.js';
import { applyToTargets } from '../../fleet/apply-many.js';
import { parsePolicy } from '../../fleet/policy.js';
import { pinFor, readPinTable } from '../../fleet/pins-file.js';
import type { KeyResult } from '../../fleet/results.js';
import { parseJobs } from '../../fleet/runner.js';
import { resolveTargets, splitDeviceValues } from '../../fleet/selection.js';
import { minRetries, pinProtocol, timeoutMs } from '../global-options.js';
import { pinFromSources, processPinIo } from '../pin-input.js';
import { finishFleet, type Row } from './fleet-output.js';
import type { FleetOptions } from './many.js';
import { keyName, progressDisplay } from './progress.js';

export async function runApply(policyFile: string, o: { dryRun?: boolean }, g: FleetOptions): Promise<void> {
  const jobs = parseJobs(g.jobs);
  const timeout = timeoutMs(g);
  const protocol = pinProtocol(g);
  const floor = minRetries(g);
  let text: string;
  try {
    text = await readFile(policyFile, 'utf8');
  } catch (e) {
    throw new Fido2Error('usage', `Cannot read the policy file ${policyFile} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}); check the path.`);
  }
  const policy = parsePolicy(text, `The policy file ${policyFile}`);
  const io = processPinIo();
  const table = g.pins === undefined ? undefined : await readPinTable(g.pins, io.warn);
  if (g.device === undefined) throw new Fido2Error('usage', 'apply needs the keys to work on: pass --device all, or --device with one or more keys.');
  const targets = await resolveTargets(splitDeviceValues(g.device));
  // One PIN for every key unless --pins gives one per key. The dry run reads it too: it checks it as the real run would.
  const current = await pinFromSources('current', g, io);
  const fresh = await pinFromSources('new', g, io);
  let shared: KeyPins = { ...(current === undefined ? {} : { current }), ...((fresh ?? current) === undefined ? {} : { new: (fresh ?? current)! }) };
  if (table === undefined && current === undefined && fresh === undefined && io.isTty) {
    const pin = await io.prompt('PIN for the keys (set where missing, used where set): ');
    if (pin === '') throw new Fido2Error('usage', 'The PIN from the prompt is empty; run again and type the PIN.');
    shared = { current: pin, new: pin };
  }
  const pinsFor = (t: (typeof targets)[number]): KeyPins => {
    const own = table ? pinFor(table, t) : undefined;
    return own === undefined ? shared : { current: own, new: own };
  };
  const interrupt = onInterrupt();
  const progress = progressDisplay(targets);
  let results: KeyResult<ApplyKeyResult>[];
  try {
    results = await applyToTargets(targets, policy, {
      jobs,
      signal: interrupt.signal,
      onEvent: (e) => progress.onEvent(e),
      timeoutMs: timeout,
      dryRun: o.dryRun === true,
      pinsFor,
      ...(protocol === undefined ? {} : { pinProtocol: protocol }),
      ...(floor === undefined ? {} : { minRetries: floor }),
    });
  } finally {
    progress.finish();
    interrupt.dispose();
  }
  const rows: Row[] = results.map((r) => {
    const v = r.value;
    const done = v?.steps.filter((s) => s.status === 'done').map((s) => s.description) ?? [];
    const planned = v?.steps.filter((s) => s.status === 'planned').map((s) => s.description) ?? [];
    let changes: string;
    if (o.dryRun) changes = r.ok ? (planned.length ? `would: ${planned.join(', ')}` : 'nothing to change') : r.error!.message;
    else if (r.ok) changes = done.length ? done.join(', ') : 'nothing to change';
    else changes = done.length ? `changed: ${done.join(', ')}; then ${r.error!.message}` : r.error!.message;
    return {
      key: keyName(r.target),
      id: r.target.serial ?? v?.aaguid ?? '-',
      outcome: r.ok ? (o.dryRun ? 'planned' : v!.changed ? 'changed' : 'ok') : `failed (${r.error!.kind})`,
      changes,
    };
  });
  finishFleet(
    g.json,
    results,
    rows,
    (r) => ({
      ...(r.value?.aaguid ? { aaguid: r.value.aaguid } : {}),
      changed: r.value?.changed ?? false,
      steps: (r.value?.steps ?? []).map((s) => ({ ...s.step, description: s.description, status: s.status })),
      before: r.value?.before ?? null,
      after: r.value?.after ?? null,
    }),
    { dryRun: o.dryRun === true, policy },
  );
}
