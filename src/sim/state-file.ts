/**
 * --state FILE: the key's persistent state as JSON, written atomically
 * (temporary file in the same directory, fsync, rename) after every change,
 * so a crash leaves either the old or the new state, never half of one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Fido2Error } from '../errors.js';
import { StateFormatError, stateFromJson, stateToJson, type PersistentState } from './state.js';

/** The state in `path`, or undefined when there is no such file yet. */
export function loadStateFile(path: string): PersistentState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Fido2Error('usage', `cannot read the state file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Fido2Error('usage', `${path} is not a virtual key state file (not JSON); move it away or pick another --state file`, { cause: e });
  }
  try {
    return stateFromJson(doc);
  } catch (e) {
    if (!(e instanceof StateFormatError)) throw e;
    throw new Fido2Error('usage', `${path} is not a usable virtual key state file: ${e.message}; move it away or pick another --state file`, { cause: e });
  }
}

export function saveStateFile(path: string, state: PersistentState): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(stateToJson(state), null, 2)}\n`);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(temp);
    throw e;
  }
  closeSync(fd);
  renameSync(temp, path);
  // Make the rename itself durable; not every platform lets a directory be opened.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}
