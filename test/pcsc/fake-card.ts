/**
 * A scripted card for the APDU tests: each step is the command APDU the client
 * must send (hex, spaces ignored) and the answer to give. A command that is not
 * the next one expected fails the test with both in hex.
 */
import type { ApduPipe } from '../../src/transports/pcsc/exchange.js';

export type Step = [expect: string, answer: string | Error];

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class ScriptedCard implements ApduPipe {
  readonly sent: string[] = [];
  private at = 0;
  constructor(private readonly steps: readonly Step[], readonly label = 'pcsc:Fake Reader 00') {}

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const got = toHex(apdu);
    this.sent.push(got);
    const step = this.steps[this.at++];
    if (!step) throw new Error(`unexpected APDU after the script ended: ${got}`);
    const want = step[0].replace(/\s+/g, '').toLowerCase();
    if (want !== '*' && got !== want) throw new Error(`APDU ${this.at}: expected ${want}, got ${got}`);
    if (step[1] instanceof Error) throw step[1];
    return hex(step[1]);
  }

  get done(): boolean {
    return this.at === this.steps.length;
  }

  async close(): Promise<void> {}
}

/** The bytes of a SELECT of the FIDO applet (short, Le 00). */
export const SELECT = '00a4040008a0000006472f0001 00';
export const FIDO_2_0 = `${Buffer.from('FIDO_2_0').toString('hex')}9000`;
