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
 *
 * Lock files live in a directory only the user can write (lockDir), so no
 * other local user can block this user's keys by creating a file with the
 * guessable name, and every wait ends at the timeout, even for a stale lock
 * that cannot be removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fido2Error } from '../errors.js';
import { keyIdentity } from '../devices/key-identity.js';

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

/**
 * The lock name of a key: its keyIdentity (src/devices/key-identity.ts), the same
 * identity fleet runs de-duplicate by. A `tcp:` label must carry the resolved
 * address (resolveTcpAddress), as withDeviceLock and resolveTargets give it.
 */
export function lockIdFor(device: LockableDevice): string {
  // A PC/SC reader by its full name: whichever card is in it is one key at a time.
  if (/^pcsc:/.test(device.label)) return device.label;
  if (device.serial || device.path) return keyIdentity({ kind: 'hid', path: device.path ?? '', ...(device.serial ? { serial: device.serial } : {}) });
  if (device.stateFile) return keyIdentity({ kind: 'sim', stateFile: device.stateFile });
  const tcp = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d+)$/i.exec(device.label);
  if (tcp) return keyIdentity({ kind: 'tcp', address: (tcp[1] ?? tcp[2]!).toLowerCase(), port: Number(tcp[3]) });
  if (device.label === 'sim') return keyIdentity({ kind: 'sim' });
  return `label:${device.label}`;
}

/**
 * Where lock files live: the per-user runtime directory when there is one
 * (cleared at logout), else a directory of the user's own in the temp
 * directory (sudo, cron and ssh often have no XDG_RUNTIME_DIR). Either must
 * be the user's and writable by nobody else, or the lock is refused.
 */
export function lockDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime) return checkedLockDir(runtime);
  const uid = process.getuid?.();
  if (uid === undefined) return tmpdir(); // Windows: the temp directory is per user already
  const dir = join(tmpdir(), `fido2-manage-${uid}`);
  // Looked for first: a mkdir that fails with EEXIST on every lock costs an exception each time (bench "Fleet apply").
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw lockDirError(dir, `cannot create it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
    }
  }
  return checkedLockDir(dir);
}

const lockDirError = (dir: string, why: string, cause?: unknown): Fido2Error =>
  new Fido2Error(
    'transport',
    `Refusing the key lock directory ${dir}: ${why}; it must be a directory of your own that only you can write (set XDG_RUNTIME_DIR to one, or remove it)`,
    { reason: 'lock-dir-insecure', ...(cause === undefined ? {} : { cause }) },
  );

/** Not a symlink, owned by this user, no group/other write: else another user could place or remove our locks. */
function checkedLockDir(dir: string): string {
  const uid = process.getuid?.();
  if (uid === undefined) return dir;
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    throw lockDirError(dir, `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
  }
  if (!st.isDirectory()) throw lockDirError(dir, 'it is not a directory (or is a symbolic link)');
  if (st.uid !== uid) throw lockDirError(dir, `it belongs to uid ${st.uid}, not to you (uid ${uid})`);
  if ((st.mode & 0o022) !== 0) throw lockDirError(dir, `others can write to it (mode ${(st.mode & 0o7777).toString(8)})`);
  return dir;
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

/**
 * Removes `path` if it still holds the same dead owner, under a breaker lock so that only one
 * waiter does it. False when it could not be removed (then the caller waits, up to its timeout).
 */
function breakStale(path: string, seen: Owner): boolean {
  const breaker = `${path}.break`;
  const me: Owner = { pid: process.pid, token: randomBytes(8).toString('hex') };
  if (!tryCreate(breaker, me)) {
    // A breaker left by a process killed in the few microseconds it holds one.
    const holder = readOwner(breaker);
    if (holder && !isAlive(holder.pid) && ageMs(breaker) > BREAKER_STALE_MS) removeIfOwnedBy(breaker, holder.token);
    return false;
  }
  try {
    const now = readOwner(path);
    if (now && now.token === seen.token && now.pid === seen.pid) unlinkSync(path);
    return true;
  } catch (e) {
    // ENOENT: someone else removed it first. Anything else (a directory, no permission): it stays.
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
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

function busyError(path: string, timeoutMs: number, holderPid: number, stuck: Owner | undefined): Fido2Error {
  if (stuck) {
    return new Fido2Error(
      'transport',
      `The key lock ${path} was left by a run that has ended${stuck.pid ? ` (pid ${stuck.pid})` : ''} and cannot be removed; remove it by hand and retry`,
      { reason: 'key-busy' },
    );
  }
  return new Fido2Error(
    'transport',
    `Another fido2-manage${holderPid ? ` (pid ${holderPid})` : ''} kept the key busy for more than ${timeoutMs / 1000} s (lock ${path}); try again when it has finished, or raise --timeout`,
    { reason: 'key-busy' },
  );
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
  let stuck: Owner | undefined;
  for (;;) {
    if (opts.signal?.aborted) throw cancelled();
    if (tryCreate(path, me)) break;
    const owner = readOwner(path);
    stuck = undefined;
    // undefined: released between our attempt and the read (or a dangling link); try again after a pause.
    if (owner !== undefined) {
      if (!isAlive(owner.pid) && (owner.pid !== 0 || ageMs(path) > 1_000)) {
        if (breakStale(path, owner)) continue;
        stuck = owner;
      } else {
        holderPid = owner.pid;
        if (!waited) {
          waited = true;
          opts.onWait?.();
        }
      }
    }
    // Checked on every path through the loop: no lock, stale or live, holds a run past its timeout.
    const left = deadline - Date.now();
    if (left <= 0) throw busyError(path, opts.timeoutMs, holderPid, stuck);
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
