/** The bio enrollment client (CTAP 2.1 §6.7) against hand-written CBOR exchanges. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BioEnrollment, bioEnrollmentCommand, bioMessage, sampleStatusName } from '../../src/ctap/bio-enrollment.js';
import { makePinUvAuthToken } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';
import { pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { baseInfo, hex, ScriptedChannel } from './helpers.js';

const TOKEN = new Uint8Array(32).fill(0x11);
const token = makePinUvAuthToken(pinProtocolV2, TOKEN, 0x08);
const mac = (msgHex: string): string => createHmac('sha256', TOKEN).update(Buffer.from(msgHex, 'hex')).digest('hex');

describe('bio enrollment client', () => {
  it.each([
    [{ bioEnroll: false }, 0x09],
    [{ bioEnroll: true, userVerificationMgmtPreview: true }, 0x09],
    [{ userVerificationMgmtPreview: false }, 0x40],
    [{ uv: true }, undefined],
  ])('options %j -> command %s', (options, command) => {
    expect(bioEnrollmentCommand(baseInfo({ options }))).toBe(command);
  });

  it('authenticates modality || subCommand || subCommandParams', () => {
    // {1: h'0a1b'} is a1 01 42 0a1b
    expect(hex(bioMessage(0x06, new Map([[1, Uint8Array.of(0x0a, 0x1b)]])))).toBe('0106a101420a1b');
    expect(hex(bioMessage(0x04))).toBe('0104');
  });

  it.each([
    [0x00, 'good'],
    [0x05, 'too-fast'],
    [0x07, 'poor-quality'],
    [0x0d, 'no-user-activity'],
    [0x0c, 'unknown-0x0c'],
  ])('names sample status 0x%s %s', (status, name) => {
    expect(sampleStatusName(status)).toBe(name);
  });

  it('sends sensor info without auth and parses it', async () => {
    // 09 {1: 1, 2: 7} -> {2: 1, 3: 4, 8: 32}
    const ch = new ScriptedChannel([{ request: '09a201010207', reply: '00a302010304081820' }]);
    expect(await new BioEnrollment(new Ctap2(ch), 0x09).sensorInfo()).toEqual({ kind: 'touch', samplesRequired: 4, maxFriendlyNameBytes: 32 });
    ch.done();
  });

  it('begins an enrollment on 0x40 and reads templateId, status and remaining samples', async () => {
    const param = mac('0101');
    // 40 {1: 1, 2: 1, 4: 2, 5: param} -> {4: h'0a1b', 5: 5, 6: 4}
    const ch = new ScriptedChannel([{ request: `40a4010102010402055820${param}`, reply: '00a304420a1b05050604' }]);
    const r = await new BioEnrollment(new Ctap2(ch), 0x40, token).enrollBegin();
    expect({ ...r, templateId: hex(r.templateId) }).toEqual({ templateId: '0a1b', status: 5, statusName: 'too-fast', remainingSamples: 4 });
    ch.done();
  });

  it('lists templates, an empty name as none, and INVALID_OPTION as no templates', async () => {
    const param = mac('0104');
    const req = `09a4010102040402055820${param}`;
    // {7: [{1: h'0a1b', 2: "ring"}, {1: h'0c0d', 2: ""}]}
    const ch = new ScriptedChannel([
      { request: req, reply: '00a10782a201420a1b026472696e67a201420c0d0260' },
      { request: req, reply: '2c' },
      { request: req, reply: '33' },
    ]);
    const b = new BioEnrollment(new Ctap2(ch), 0x09, token);
    expect((await b.enumerateEnrollments()).map((t) => [t.idHex, t.name])).toEqual([['0a1b', 'ring'], ['0c0d', undefined]]);
    expect(await b.enumerateEnrollments()).toEqual([]);
    await expect(b.enumerateEnrollments()).rejects.toBeInstanceOf(CtapError);
    ch.done();
  });
});
