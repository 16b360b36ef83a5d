/**
 * Where remembered persistent tokens live: one JSON file of mode 0600 in a
 * directory of mode 0700 that only this user owns. A token is a secret
 * (it reads every passkey on its key without the PIN), so a directory or file
 * others can read, or another user owns, is refused rather than used or fixed.
 *
 * Directory: FIDO2_MANAGE_STATE_DIR, else $XDG_STATE_HOME/fido2-manage, else
 * ~/.local/state/fido2-manage.
 */
import { chmod, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Fido2Error } from '../errors.js';

/** The full listing, answered again (and filtered by site locally) while the key reports the same credential store state. */
export interface CachedListing {
  /** storeStateDigest of the decrypted encCredStoreState when it was made. */
  state: string;
  listedAt: string;
  /** The listing in the store's own JSON form (listing-codec.ts). */
  listing: unknown;
}

export interface RememberedKey {
  /** keyIdOf(identifier), when the key reports encIdentifier. */
  keyId?: string;
  /** How the key was reached and its AAGUID: finds an entry whose token no longer decrypts anything. */
  hint: string;
  protocol: 1 | 2;
  /** The persistent token, base64. */
  token: string;
  rememberedAt: string;
  cache?: CachedListing;
}

interface StoreFile {
  version: 1;
  keys: RememberedKey[];
}

const FILE = 'persistent-tokens.json';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FIDO2_MANAGE_STATE_DIR) return env.FIDO2_MANAGE_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'fido2-manage');
  return join(homedir(), '.local', 'state', 'fido2-manage');
}

const uid = (): number | undefined => process.getuid?.();

function insecure(path: string, why: string): Fido2Error {
  return new Fido2Error('usage', `${path} ${why}, so no token is kept there; make it private to you (chmod 700 for the directory, 600 for the file) or set FIDO2_MANAGE_STATE_DIR.`, {
    reason: 'insecure-token-store',
  });
}

/** Refuses a path others can read or write, or another user owns (POSIX only: Windows has no mode bits). */
async function checkPrivate(path: string, kind: 'directory' | 'file'): Promise<boolean> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (kind === 'directory' ? !st.isDirectory() : !st.isFile()) throw insecure(path, `is not a plain ${kind}`);
  if (process.platform === 'win32') return true;
  if (uid() !== undefined && st.uid !== uid()) throw insecure(path, 'belongs to another user');
  if ((st.mode & 0o077) !== 0) throw insecure(path, `can be read or written by others (mode ${(st.mode & 0o777).toString(8)})`);
  return true;
}

export class TokenStore {
  constructor(readonly dir: string = stateDir()) {}

  get file(): string {
    return join(this.dir, FILE);
  }

  async load(): Promise<RememberedKey[]> {
    if (!(await checkPrivate(this.dir, 'directory'))) return [];
    if (!(await checkPrivate(this.file, 'file'))) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      throw new Fido2Error('usage', `${this.file} is not a token store this tool wrote; move it away (or run \`fido2-manage credentials forget --all\`).`, { reason: 'token-store-damaged' });
    }
    const keys = (parsed as Partial<StoreFile> | null)?.keys;
    return Array.isArray(keys) ? keys.filter(isEntry) : [];
  }

  /** Writes every entry at once: a new file of mode 0600, renamed over the old one. */
  async save(keys: readonly RememberedKey[]): Promise<void> {
    if (keys.length === 0) {
      await rm(this.file, { force: true });
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await checkPrivate(this.dir, 'directory');
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ version: 1, keys: [...keys] } satisfies StoreFile));
    } finally {
      await fh.close();
    }
    // The mode given to open is masked by the umask; a umask cannot make it wider, but be explicit.
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  async update(change: (keys: RememberedKey[]) => RememberedKey[]): Promise<void> {
    await this.save(change(await this.load()));
  }

  async clear(): Promise<boolean> {
    const had = (await this.load()).length > 0;
    await rm(this.file, { force: true });
    return had;
  }
}

function isEntry(v: unknown): v is RememberedKey {
  const e = v as Partial<RememberedKey> | null;
  return typeof e === 'object' && e !== null && typeof e.token === 'string' && typeof e.hint === 'string' && (e.protocol === 1 || e.protocol === 2);
}
