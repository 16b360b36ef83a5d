/**
 * Transport to the in-process virtual key (src/sim). src/sim is imported
 * lazily so commands that talk to real keys never load it.
 */
import { Fido2Error } from '../../errors.js';
import { ReportQueue } from '../ctaphid/report-queue.js';
import { REPORT_SIZE, type Transport } from '../ctaphid/transport.js';

/** What this transport needs from a VirtualKey (docs/contracts.md); VirtualKey satisfies it. */
export interface SimKey {
  connect(onReport: (report: Uint8Array) => void): { write(report: Uint8Array): void; close(): void };
}

async function defaultKey(): Promise<SimKey> {
  try {
    const { VirtualKey } = await import('../../sim/virtual-key.js');
    const key: SimKey = new VirtualKey();
    return key;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Fido2Error('transport', `Cannot start the virtual key (${reason}); reinstall fido2-manage`, { cause: error });
  }
}

export async function openSimTransport(key?: SimKey): Promise<Transport> {
  const simKey = key ?? (await defaultKey());
  const queue = new ReportQueue();
  // Copy: the key may reuse its buffer for the next report.
  const link = simKey.connect((report) => queue.push(Uint8Array.from(report)));
  let closed = false;
  return {
    label: 'sim',
    async write(report: Uint8Array): Promise<void> {
      if (closed) throw new Fido2Error('transport', 'The connection to the virtual key is closed; open the device again');
      if (report.length !== REPORT_SIZE) {
        throw new Fido2Error('transport', `Internal error: tried to send a report of ${report.length} bytes; reports are 64 bytes`);
      }
      try {
        link.write(Uint8Array.from(report));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Fido2Error('transport', `The virtual key failed (${reason}); restart the command`, { cause: error });
      }
    },
    read: (timeoutMs: number) => queue.read(timeoutMs),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      queue.fail(new Fido2Error('transport', 'The connection to the virtual key is closed; open the device again'));
      link.close();
    },
  };
}
