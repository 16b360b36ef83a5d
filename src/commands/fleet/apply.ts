/**
 * `fido2-manage apply POLICY.json [--dry-run]`: the policy is validated before
 * any key is touched; then every selected key is read, planned, changed under
 * its lock and read back, concurrently; one table (or JSON document) reports
 * each key's steps and its state before and after.
 */
import { onInterrupt } from '../interrupt.js';
import { readBounded, readFailure } from '../../bounded-read.js';
import { Fido2Error } from '../../errors.js';
import type { ApplyKeyResult } from '../../operations/settings.js';
import { applyToTargets, type KeyPins } from '../../fleet/apply-many.js';
import { parsePolicy } from '../../fleet/policy.js';
import { pinFor, readPinTable } from '../../fleet/pins-file.js';
import type { KeyResult } from '../../fleet/results.js';
import { parseJobs } from '../../fleet/runner.js';
import { resolveTargets, splitDeviceValues } from '../../fleet/selection.js';
import { minRetries, pinProtocol, timeoutMs } from '../global-options.js';
import { explicitPinGiven, pinFromSources, processPinIo } from '../pin-input.js';
import { finishFleet, keyId, type Row } from './fleet-output.js';
import { settingsJson } from '../key-state.js';
import type { FleetOptions } from './many.js';
import { keyName, progressDisplay } from './progress.js';
import type { StationKeyResult } from '../../fleet/provision.js';
import { closeSetup, runWatch, type StationFlags, stationFields, stationSetup } from './station.js';

/** A policy is a few fields; anything larger is not one. */
const MAX_POLICY_BYTES = 1 << 20;

/** The policy file, a pipe or FIFO too (`apply <(...)`), within --timeout and Ctrl-C. */
async function readPolicyFile(path: string, timeoutMs: number): Promise<string> {
  try {
    const head = await readBounded(path, {
      maxBytes: MAX_POLICY_BYTES + 1,
      timeoutMs,
      late: (s) => new Fido2Error('usage', `No policy arrived from ${path} within ${s} s; write the policy to it and close it, or raise --timeout.`),
    });
    if (head.length > MAX_POLICY_BYTES) throw new Fido2Error('usage', `The policy file ${path} is larger than 1 MiB; give a policy JSON file.`);
    return head.toString('utf8');
  } catch (e) {
    throw readFailure(e, 'usage', `the policy file ${path}`, 'check the path.');
  }
}

export async function runApply(policyFile: string, o: { dryRun?: boolean } & StationFlags, g: FleetOptions): Promise<void> {
  const jobs = parseJobs(g.jobs);
  const timeout = timeoutMs(g);
  const protocol = pinProtocol(g);
  const floor = minRetries(g);
  const policy = parsePolicy(await readPolicyFile(policyFile, timeout), `The policy file ${policyFile}`);
  const io = processPinIo();
  const table = g.pins === undefined ? undefined : await readPinTable(g.pins, io.warn, timeout);
  if (o.includePresent && !o.watch) throw new Fido2Error('usage', '--include-present goes with --watch; add --watch, or leave it out.');
  if (g.device === undefined && !o.watch) throw new Fido2Error('usage', 'apply needs the keys to work on: pass --device all, or --device with one or more keys (or --watch for a station).');
  const values = splitDeviceValues(g.device);
  // A station watches the named tcp: keys, and the USB keys unless only tcp: keys are named.
  const tcpValues = values.filter((v) => /^tcp:/i.test(v));
  const targets = o.watch ? (tcpValues.length ? await resolveTargets(tcpValues) : []) : await resolveTargets(values);
  // One PIN for every key unless --pins gives one per key. The dry run reads it too: it checks it as the real run would.
  const current = await pinFromSources('current', g, io);
  const fresh = await pinFromSources('new', g, io);
  let shared: KeyPins = { ...(current === undefined ? {} : { current }), ...((fresh ?? current) === undefined ? {} : { new: (fresh ?? current)! }) };
  if (table === undefined && current === undefined && fresh === undefined && io.isTty && o.generatePins === undefined) {
    const pin = await io.prompt('PIN for the keys (set where missing, used where set): ');
    if (pin === '') throw new Fido2Error('usage', 'The PIN from the prompt is empty; run again and type the PIN.');
    shared = { current: pin, new: pin };
  }
  // An explicit PIN option wins over a key's --pins line, as in every other command (pin-input.ts).
  const explicit = explicitPinGiven('current', g) || explicitPinGiven('new', g);
  const pinsFor = (t: (typeof targets)[number]): KeyPins => {
    const own = table && !explicit ? pinFor(table, t) : undefined;
    return own === undefined ? shared : { current: own, new: own };
  };
  const station = await stationSetup({ ...o, ...(g.mds === undefined ? {} : { mds: g.mds }) }, policy, o.dryRun === true);
  const interrupt = onInterrupt();
  const common = {
    jobs,
    signal: interrupt.signal,
    timeoutMs: timeout,
    dryRun: o.dryRun === true,
    pinsFor,
    ...(protocol === undefined ? {} : { pinProtocol: protocol }),
    ...(floor === undefined ? {} : { minRetries: floor }),
    ...(station === undefined ? {} : { station }),
  };
  if (o.watch) {
    try {
      return await runWatch({
        json: g.json,
        // `all` (or no --device) watches every way a key comes in: USB, and cards on PC/SC readers.
        hid: tcpValues.length < values.length || values.length === 0,
        pcsc: tcpValues.length < values.length || values.length === 0,
        tcp: targets,
        includePresent: o.includePresent === true,
        signal: interrupt.signal,
        provision: async (t, onEvent) => (await applyToTargets([t], policy, { ...common, onEvent }))[0] as KeyResult<StationKeyResult>,
      });
    } finally {
      interrupt.dispose();
      closeSetup(station);
    }
  }
  const progress = progressDisplay(targets);
  let results: KeyResult<ApplyKeyResult>[];
  try {
    results = await applyToTargets(targets, policy, { ...common, onEvent: (e) => progress.onEvent(e) });
  } finally {
    progress.finish();
    interrupt.dispose();
    closeSetup(station);
  }
  const rows: Row[] = results.map((r) => {
    const v = r.value;
    const done = v?.steps.filter((s) => s.status === 'done').map((s) => s.description) ?? [];
    const planned = v?.steps.filter((s) => s.status === 'planned').map((s) => s.description) ?? [];
    let changes: string;
    if (v?.sameKeyAs !== undefined) changes = `same key as ${v.sameKeyAs} (its CTAP 2.3 identity); worked on there`;
    else if (o.dryRun) changes = r.ok ? (planned.length ? `would: ${planned.join(', ')}` : 'nothing to change') : r.error!.message;
    else if (r.ok) changes = done.length ? done.join(', ') : 'nothing to change';
    else changes = done.length ? `changed: ${done.join(', ')}; then ${r.error!.message}` : r.error!.message;
    return {
      key: keyName(r.target),
      id: keyId(r.target.serial, v?.aaguid),
      outcome: r.ok ? (v!.sameKeyAs !== undefined ? 'same key' : o.dryRun ? 'planned' : v!.changed ? 'changed' : 'ok') : `failed (${r.error!.kind})`,
      changes,
    };
  });
  finishFleet(
    g.json,
    results,
    rows,
    (r) => ({
      ...(r.value?.aaguid ? { aaguid: r.value.aaguid } : {}),
      ...(r.value?.keyId ? { keyId: r.value.keyId } : {}),
      ...(r.value?.sameKeyAs !== undefined ? { sameKeyAs: r.value.sameKeyAs } : {}),
      changed: r.value?.changed ?? false,
      steps: (r.value?.steps ?? []).map((s) => ({ ...s.step, description: s.description, status: s.status })),
      // The same settings, spelled the same, as every command's before/after (not the planner's KeyState).
      before: r.value?.before ? settingsJson(r.value.before) : null,
      after: r.value?.after ? settingsJson(r.value.after) : null,
      ...(station === undefined ? {} : { ...stationFields(r.value as StationKeyResult | undefined), ...(r.ok ? {} : { outcome: 'failed' }) }),
    }),
    { dryRun: o.dryRun === true, policy },
  );
}
