/**
 * A cross-process advisory lock per key, so two fido2-manage runs never
 * interleave a read-then-change on one key (toggleAlwaysUv is a toggle: two
 * runs that both read "off" would leave it off again).
 *
 * The lock is a file created with O_EXCL that holds the owner's pid and a
 * random token. A lock whose pid is no longer alive is stale and is removed,
 * so a killed run never blocks the next one. Removing a stale lock happens
 * under a short-lived second lock and re-checks the token, so two waiters
 * that both find the same stale lock cannot both end up holding the key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Fido2Error } from '../errors.js';

export interface KeyLockOptions {
  /** Give up waiting after this long, with a one-line error. */
  timeoutMs: number;
  /** Stops waiting (Ctrl-C); the wait ends with a 'cancelled' error. */
  signal?: AbortSignal;
  /** Called once, when the lock is found held by another live process. */
  onWait?: () => void;
}

/** What identifies one key to lock: the HID serial or path, the `tcp:` address, `pcsc:<reader>`, or the virtual key's state file. */
export interface LockableDevice {
  path?: string;
  serial?: string;
  /** Label as the CLI shows it: an HID path, `tcp:HOST:PORT`, or `sim`. */
  label: string;
  /** State file of a virtual key, when it has one. */
  stateFile?: string;
}

/** The lock name of a key: stable across runs and processes for the same key. */
export function lockIdFor(device: LockableDevice): string {
  if (device.serial) return `serial:${device.serial}`;
  if (device.path) return `hid:${device.path}`;
  if (device.stateFile) return `sim:${resolve(device.stateFile)}`;
  if (/^tcp:/i.test(device.label)) return `tcp:${device.label.slice(4).toLowerCase()}`;
  // A PC/SC reader by its full name: whichever card is in it is one key at a time.
  if (/^pcsc:/.test(device.label)) return device.label;
  // An in-process virtual key without a state file is private to this process.
  if (device.label === 'sim') return `sim:pid-${process.pid}`;
  return `label:${device.label}`;
}

/** Where lock files live: the per-user runtime directory when there is one (cleared at logout), else the temp directory. */
export function lockDir(): string {
  return process.env.XDG_RUNTIME_DIR || tmpdir();
}

export function lockPathFor(lockId: string): string {
  const digest = createHash('sha256').update(lockId).digest('hex').slice(0, 24);
  return join(lockDir(), `fido2-manage-${digest}.lock`);
}

interface Owner {
  pid: number;
  token: string;
}

function readOwner(path: string): Owner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed && typeof parsed === 'object' && 'pid' in parsed && 'token' in parsed) {
      const { pid, token } = parsed as { pid: unknown; token: unknown };
      if (typeof pid === 'number' && typeof token === 'string') return { pid, token };
    }
    return { pid: 0, token: '' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable or half-written: treat as a lock without a live owner only once it is old (see isStale).
    return { pid: 0, token: '' };
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A file being written by its creator has no owner yet for a moment; only call it stale once it is a little old. */
function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function tryCreate(path: string, owner: Owner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Fido2Error('transport', `Cannot create the key lock ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that the directory is writable or set XDG_RUNTIME_DIR`, { cause: e });
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function removeIfOwnedBy(path: string, token: string): void {
  if (readOwner(path)?.token !== token) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

const BREAKER_STALE_MS = 5_000;

/** Removes `path` if it still holds the same dead owner, under a breaker lock so that only one waiter does it. */
function breakStale(path: string, seen: Owner): void {
  const breaker = `${path}.break`;
  const me: Owner = { pid: process.pid, token: randomBytes(8).toString('hex') };
  if (!tryCreate(breaker, me)) {
    // A breaker left by a process killed in the few microseconds it holds one.
    const holder = readOwner(breaker);
    if (holder && !isAlive(holder.pid) && ageMs(breaker) > BREAKER_STALE_MS) removeIfOwnedBy(breaker, holder.token);
    return;
  }
  try {
    const now = readOwner(path);
    if (now && now.token === seen.token && now.pid === seen.pid) unlinkSync(path);
  } catch {
    // Someone else removed it first.
  } finally {
    removeIfOwnedBy(breaker, me.token);
  }
}

const held = new Set<string>();
let exitHookInstalled = false;

/** A process that exits while holding a lock (process.exit on a second Ctrl-C) still removes it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of held) {
      const [path, token] = entry.split('\n') as [string, string];
      removeIfOwnedBy(path, token);
    }
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

const cancelled = (): Fido2Error => new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');

/**
 * Runs `fn` while holding the lock named `lockId`; waits (polling) while
 * another live process holds it, up to `timeoutMs`. Not re-entrant: a
 * holder that asks for the same lock again waits for itself until the
 * timeout (withSession already holds its key's lock).
 */
export async function withKeyLock<T>(lockId: string, opts: KeyLockOptions, fn: () => Promise<T>): Promise<T> {
  const path = lockPathFor(lockId);
  const me: Owner = { pid: process.pid, token: randomBytes(12).toString('hex') };
  const deadline = Date.now() + opts.timeoutMs;
  let waited = false;
  let delay = 10;
  let holderPid = 0;
  for (;;) {
    if (opts.signal?.aborted) throw cancelled();
    if (tryCreate(path, me)) break;
    const owner = readOwner(path);
    if (owner === undefined) continue; // released between our attempt and the read
    if (!isAlive(owner.pid) && (owner.pid !== 0 || ageMs(path) > 1_000)) {
      breakStale(path, owner);
      continue;
    }
    holderPid = owner.pid;
    if (!waited) {
      waited = true;
      opts.onWait?.();
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Fido2Error(
        'transport',
        `Another fido2-manage${holderPid ? ` (pid ${holderPid})` : ''} kept the key busy for more than ${opts.timeoutMs / 1000} s; try again when it has finished, or raise --timeout`,
        { reason: 'key-busy' },
      );
    }
    await sleep(Math.min(delay, left), opts.signal);
    delay = Math.min(delay * 2, 100);
  }
  const entry = `${path}\n${me.token}`;
  held.add(entry);
  installExitHook();
  try {
    return await fn();
  } finally {
    held.delete(entry);
    removeIfOwnedBy(path, me.token);
  }
}
