/**
 * Any key command on many keys: the ordinary per-key command body runs once per
 * key, concurrently, inside a KeyContext that captures its output; the results
 * become one table (or one JSON document) and one exit code.
 */
import { onInterrupt } from '../interrupt.js';
import { Fido2Error } from '../../errors.js';
import { pinFor, type PinTable, readPinTable } from '../../fleet/pins-file.js';
import { type KeyResult } from '../../fleet/results.js';
import { parseJobs, runOnKeys } from '../../fleet/runner.js';
import { resolveTargets, splitDeviceValues, type Target } from '../../fleet/selection.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { type KeyContext, runInKeyContext } from '../key-context.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { finishFleet, keyId, type Row } from './fleet-output.js';
import { settingsJson } from '../key-state.js';
import { keyName, progressDisplay } from './progress.js';

export interface FleetOptions extends GlobalOptions {
  jobs?: string;
  pins?: string;
}

/** A PinIo shared by all keys: each prompt is asked once, stdin read once. */
export function sharedPinIo(base: PinIo = processPinIo()): PinIo {
  const asked = new Map<string, Promise<string>>();
  let chain: Promise<unknown> = Promise.resolve();
  return {
    ...base,
    prompt: (q) => {
      let p = asked.get(q);
      if (!p) {
        // One prompt at a time on the terminal.
        p = chain.then(() => base.prompt(q));
        chain = p.catch(() => undefined);
        asked.set(q, p);
      }
      return p;
    },
  };
}

/** The io for one key: its --pins line, when there is one, is its PIN (current, or new where none is set). */
export function keyPinIo(shared: PinIo, table: PinTable | undefined, t: Target): PinIo {
  const pin = table ? pinFor(table, t) : undefined;
  if (pin === undefined) return shared;
  return { ...shared, env: { ...shared.env, FIDO2_PIN: pin } };
}

interface Captured {
  json: unknown[];
  lines: string[];
  aaguid?: string;
}

/** Runs `run` (a command's ordinary action) once per selected key. */
export async function runOnMany(g: FleetOptions, run: (g: GlobalOptions) => Promise<void>): Promise<void> {
  const jobs = parseJobs(g.jobs);
  const baseIo = processPinIo();
  const table = g.pins === undefined ? undefined : await readPinTable(g.pins, baseIo.warn, timeoutMs(g));
  const targets = await resolveTargets(splitDeviceValues(g.device));
  const interrupt = onInterrupt();
  const progress = progressDisplay(targets);
  // The live lines step aside while a PIN is asked, so the prompt stays readable.
  const shared = sharedPinIo({ ...baseIo, prompt: (q) => progress.whilePaused(() => baseIo.prompt(q)) });
  const contexts = new Map<number, KeyContext>();
  let results: KeyResult<Captured>[];
  try {
    results = await runOnKeys(targets, { jobs, signal: interrupt.signal, onEvent: (e) => progress.onEvent(e) }, async (t, ctx) => {
      const k: KeyContext = { signal: ctx.signal, io: keyPinIo(shared, table, t), json: [], lines: [], notices: [], onTouch: () => ctx.progress('touch') };
      contexts.set(t.number, k);
      await runInKeyContext(k, () => run({ ...g, device: t.selector }));
      return k.aaguid === undefined ? { json: k.json, lines: k.lines } : { json: k.json, lines: k.lines, aaguid: k.aaguid };
    });
  } finally {
    progress.finish();
    interrupt.dispose();
  }
  const rows: Row[] = results.map((r) => ({
    key: keyName(r.target),
    id: keyId(r.target.serial, r.value?.aaguid),
    outcome: r.ok ? 'ok' : `failed (${r.error!.kind})`,
    changes: r.ok ? brief(r.value!.lines) : r.error!.message,
  }));
  finishFleet(g.json, results, rows, (r) => {
    const k = contexts.get(r.target.number);
    return { ...(r.ok ? { result: stripEnvelope(r.value!.json[0]) } : {}), before: k?.before ? settingsJson(k.before) : null, after: k?.after ? settingsJson(k.after) : null };
  });
}

/** A command's text output on one table cell: its first lines, squeezed; --json has it all. */
function brief(lines: readonly string[]): string {
  const text = lines.map((l) => l.trim().replace(/\s{2,}/g, ' ')).filter((l) => l !== '').join('; ');
  return text.length > 100 ? `${text.slice(0, 99)}… (--json for all)` : text;
}

/** The per-key document without the `ok` the envelope already has. */
function stripEnvelope(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc ?? null;
  const { ok: _ok, ...rest } = doc as Record<string, unknown>;
  return rest;
}

/** Guards for commands that make sense only one key at a time. */
export function refuseMany(what: string): never {
  throw new Fido2Error('usage', `${what} works on one key at a time; pass a single --device.`);
}
