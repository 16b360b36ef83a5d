/**
 * Runs one task per key, up to `jobs` at a time. A key's failure is caught and
 * recorded in its result: it never stops or spoils the others. Every task holds
 * the key's in-process mutex and, when given, the cross-process key lock, so two
 * operations on one key never interleave.
 */
import { Fido2Error } from '../errors.js';
import { keyMutex } from './mutex.js';
import { KeyFailure, type KeyResult, keyError } from './results.js';
import type { Target } from './selection.js';

export type FleetPhase = 'queued' | 'waiting' | 'working' | 'touch' | 'done' | 'failed';

export interface FleetEvent {
  target: Target;
  phase: FleetPhase;
  /** A few words on what happens now, e.g. "set PIN" or the error kind. */
  detail?: string;
}

/** The shape of the cross-process key lock (src/fleet/key-lock.ts). */
export type KeyLock = <T>(lockId: string, opts: { timeoutMs: number; signal?: AbortSignal; onWait?: () => void }, fn: () => Promise<T>) => Promise<T>;

export interface RunOptions {
  /** Keys worked on at once (default 16). */
  jobs?: number;
  /** Aborting cancels every key's pending transaction; keys not yet started are not touched. */
  signal?: AbortSignal;
  onEvent?: (e: FleetEvent) => void;
  lock?: KeyLock;
  /** How long to wait for another process's hold on a key. */
  lockTimeoutMs?: number;
}

export interface TaskContext {
  signal: AbortSignal;
  /** Reports progress on this key (a step, or 'touch' while waiting for one). */
  progress(phase: FleetPhase, detail?: string): void;
}

/** The lock id of a target: its keyIdentity from resolveTargets (a hand-made target without one: its path or selector). */
export const lockIdOf = (t: Target): string => t.id ?? t.path ?? t.selector;

export const DEFAULT_JOBS = 16;

export function parseJobs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_JOBS;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 256) throw new Fido2Error('usage', `--jobs takes a whole number from 1 to 256, not "${text}".`);
  return n;
}

export async function runOnKeys<R>(targets: readonly Target[], opts: RunOptions, task: (t: Target, ctx: TaskContext) => Promise<R>): Promise<KeyResult<R>[]> {
  const jobs = Math.max(1, opts.jobs ?? DEFAULT_JOBS);
  const signal = opts.signal ?? new AbortController().signal;
  const emit = (target: Target, phase: FleetPhase, detail?: string): void => opts.onEvent?.(detail === undefined ? { target, phase } : { target, phase, detail });
  const results: KeyResult<R>[] = new Array(targets.length);
  for (const t of targets) emit(t, 'queued');
  let next = 0;
  const one = async (t: Target): Promise<KeyResult<R>> => {
    if (signal.aborted) throw new Fido2Error('cancelled', 'Cancelled before this key was started; nothing was changed on it.');
    const id = lockIdOf(t);
    const ctx: TaskContext = { signal, progress: (phase, detail) => emit(t, phase, detail) };
    const body = (): Promise<R> => {
      emit(t, 'working');
      return task(t, ctx);
    };
    const locked = opts.lock
      ? () => opts.lock!(id, { timeoutMs: opts.lockTimeoutMs ?? 30_000, signal, onWait: () => emit(t, 'waiting', 'another process is using this key') }, body)
      : body;
    return { target: t, ok: true, value: await keyMutex.run(id, locked) };
  };
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i]!;
      try {
        results[i] = await one(t);
        emit(t, 'done');
      } catch (e) {
        const error = keyError(e);
        results[i] = e instanceof KeyFailure ? { target: t, ok: false, error, value: e.detail as R } : { target: t, ok: false, error };
        emit(t, 'failed', error.kind);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, targets.length) }, worker));
  return results;
}
