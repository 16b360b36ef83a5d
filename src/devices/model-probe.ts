/**
 * What `list` learns by opening a key: its AAGUID (authenticatorGetInfo, CTAP
 * 2.1 §6.4: no touch, no PIN) and the model that AAGUID names. Every key is
 * probed at once, each bounded by its own short timeout, so a key that hangs
 * costs the listing that bound and no more. A key another fido2-manage holds
 * is not waited for: it is reported busy, untouched.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import type { KeyChannel } from '../ctap/channel.js';
import { Fido2Error } from '../errors.js';
import { modelName } from './aaguid-models.js';
import { openChannel } from './discovery.js';

/** Why a listed key has no model name; `unknown-aaguid` still carries the AAGUID. */
export type ModelMissing = 'busy' | 'no-answer' | 'u2f-only' | 'unknown-aaguid' | 'failed';

export interface ModelProbe {
  aaguid: string | null;
  model: string | null;
  /** Set when `model` is null. */
  modelMissing?: ModelMissing;
  /** With `failed`: the one-line error that stopped the probe (e.g. nothing listens at a tcp: address). */
  modelError?: string;
}

/** One key to probe: the selector that opens it, and its cross-process lock id (none: a key private to this process). */
export interface ProbeTarget {
  selector: string;
  lockId?: string;
}

export interface ProbeDeps {
  open?: (selector: string, opts: { timeoutMs: number; signal: AbortSignal }) => Promise<KeyChannel>;
  /** Runs fn under the key's lock without waiting; throws a key-busy Fido2Error when another process holds it. */
  lock?: <T>(lockId: string, fn: () => Promise<T>) => Promise<T>;
}

/** The AAGUID and what it names; pure. */
export function describeAaguid(aaguid: string): ModelProbe {
  const model = modelName(aaguid);
  return model === undefined ? { aaguid, model: null, modelMissing: 'unknown-aaguid' } : { aaguid, model };
}

const missing = (why: ModelMissing): ModelProbe => ({ aaguid: null, model: null, modelMissing: why });

/** How a failed probe is reported; pure. */
export function missingFor(e: unknown): ModelProbe {
  if (e instanceof Fido2Error && e.reason === 'key-busy') return missing('busy');
  if (e instanceof Fido2Error && e.kind === 'cancelled') return missing('no-answer');
  // CTAP1_ERR_INVALID_COMMAND to getInfo: the key has no CTAP2.
  if (e instanceof CtapError && e.status === 0x01) return missing('u2f-only');
  return { ...missing('failed'), ...(e instanceof Error && e.message ? { modelError: e.message } : {}) };
}

const defaultLock = async <T>(lockId: string, fn: () => Promise<T>): Promise<T> => {
  const { withKeyLock } = await import('../fleet/key-lock.js');
  // timeoutMs 0: a held lock is reported at once, never waited for.
  return withKeyLock(lockId, { timeoutMs: 0 }, fn);
};

/** getInfo on one key, within timeoutMs however the key behaves (a key that never answers included). */
export async function probeModel(t: ProbeTarget, timeoutMs: number, deps: ProbeDeps = {}): Promise<ModelProbe> {
  const controller = new AbortController();
  const open = deps.open ?? ((selector, opts) => openChannel(selector, opts));
  const read = async (): Promise<ModelProbe> => {
    // The key's own timeouts are left longer than the bound, so that a silent key is always reported by the bound below.
    const channel = await open(t.selector, { timeoutMs: timeoutMs * 2, signal: controller.signal });
    try {
      if (!channel.capabilities.cbor) return missing('u2f-only');
      const info = await new Ctap2(channel, { signal: controller.signal }).getInfo();
      return describeAaguid(info.aaguid);
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
  const locked = (): Promise<ModelProbe> => (t.lockId === undefined ? read() : (deps.lock ?? defaultLock)(t.lockId, read));
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<ModelProbe>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(missing('no-answer'));
    }, timeoutMs);
  });
  try {
    return await Promise.race([locked().catch(missingFor), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every key at once; results in the order given. */
export function probeModels(targets: readonly ProbeTarget[], timeoutMs: number, deps: ProbeDeps = {}): Promise<ModelProbe[]> {
  return Promise.all(targets.map((t) => probeModel(t, timeoutMs, deps)));
}
