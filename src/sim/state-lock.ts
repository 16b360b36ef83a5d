/**
 * One `sim` process per state file: two would overwrite each other's state.
 * The lock is `FILE.lock` holding the owner's pid; a lock whose process is
 * gone (killed) is stale and taken over.
 */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { Fido2Error } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws a usage error naming the owner; returns the release function. */
export function lockStateFile(path: string): () => void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new Fido2Error('usage', `cannot write the state file ${path}: ${(e as Error).message}; pick a writable --state path`, { cause: e });
      }
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new Fido2Error('usage', `another fido2-manage sim (pid ${owner}) is using the state file ${path}; stop it or pick another --state file`);
    }
    try {
      unlinkSync(lock); // stale: its process is gone
    } catch {
      /* someone else took it over first */
    }
  }
  throw new Fido2Error('usage', `cannot lock the state file ${path}; pick another --state file`);
}
