import { setLargeBlob } from '../../operations/large-blobs.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, passkeyToJson, usageLine, whose } from './inventory.js';
import { announceDamage, credentialArgument, readBlobInput } from './support.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * `large-blobs set --credential ID (FILE | -)`: the passkey's entry becomes
 * FILE's bytes (earlier entries of the same passkey are removed, other
 * elements kept in order). Data that cannot fit even alone is refused before
 * the PIN is asked for; the exact array is checked again before it is sent.
 */
export async function runLargeBlobsSet(source: string, o: { credential?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = credentialArgument(o.credential);
  const data = await readBlobInput(source, g);
  await withSession(g, async (s) => {
    const r = await setLargeBlob(s, cliAuthorizer(g, io), id, data, announceDamage);
    const replaced = r.replaced === 0 ? '' : ` (replacing ${plural(r.replaced, 'earlier entry', 'earlier entries')})`;
    report(
      g.json,
      { device: s.label, credential: passkeyToJson(r.owner), dataBytes: r.dataBytes, replaced: r.replaced, before: inventoryToJson(r.before), after: inventoryToJson(r.after) },
      `Stored ${plural(r.dataBytes, 'byte')} for ${whose(r.owner)}${replaced}; read back from the key: ${plural(r.after.rows.length, 'large blob')}, ${usageLine(r.after)}.`,
    );
  });
}
