import { writeFile } from 'node:fs/promises';
import { Fido2Error } from '../../errors.js';
import { getLargeBlob } from '../../operations/large-blobs.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { passkeyToJson, whose } from './inventory.js';
import { announceDamage, credentialArgument } from './support.js';

export interface LargeBlobsGetOptions {
  credential?: string;
  output?: string;
  toTerminal?: boolean;
}

/**
 * Raw blob bytes (certificates, keys, anything a site stored) written to a
 * terminal could drive it like escape sequences do, and are of no use there:
 * refused before the key is asked, unless --to-terminal says it is wanted.
 */
export function refuseBinaryToTerminal(o: LargeBlobsGetOptions, json: boolean, stdoutIsTty: boolean): void {
  if (json || o.output !== undefined || o.toTerminal || !stdoutIsTty) return;
  throw new Fido2Error('usage', 'Standard output is a terminal and a large blob is raw bytes: pass -o FILE, pipe it (| xxd), or add --to-terminal; nothing was read.', { reason: 'binary-to-terminal' });
}

/**
 * `large-blobs get --credential ID [-o FILE]`: the data of the passkey's
 * entry (the first one its key opens, as platforms read it), to FILE or, when
 * none is given, to stdout as raw bytes. No passkey entry: exit 21.
 */
export async function runLargeBlobsGet(o: LargeBlobsGetOptions, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = credentialArgument(o.credential);
  refuseBinaryToTerminal(o, g.json === true, process.stdout.isTTY === true);
  const { data, owner, label } = await withSession(g, async (s) => ({ ...(await getLargeBlob(s, cliAuthorizer(g, io), id, announceDamage)), label: s.label }));
  if (o.output !== undefined) {
    // Blobs hold certificates and keys: a new file is readable by its owner only.
    await writeFile(o.output, data, { mode: 0o600 }).catch((e: NodeJS.ErrnoException) => {
      throw new Fido2Error('usage', `Cannot write ${o.output} (${e.code ?? 'error'}); choose a writable path.`, { cause: e });
    });
  }
  if (g.json) {
    const where = o.output === undefined ? { data: Buffer.from(data).toString('base64') } : { file: o.output };
    printJson({ ok: true, device: label, credential: passkeyToJson(owner), dataBytes: data.length, ...where });
  } else if (o.output !== undefined) {
    printLine(`Wrote the ${data.length}-byte large blob of ${whose(owner)} to ${o.output}.`);
  } else {
    await writeStdout(data);
  }
}

/** Raw bytes to stdout, flushed before the command ends (a reader that stops early: see tolerateClosedStdout). */
function writeStdout(data: Uint8Array): Promise<void> {
  return new Promise((resolve) => process.stdout.write(data, () => resolve()));
}
