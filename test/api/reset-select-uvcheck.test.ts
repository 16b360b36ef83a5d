/**
 * The library forms of reset, selection by touch and uv-check, against keys
 * served over TCP: the same operations as the CLI, driven by callbacks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Fido2Error, openKey, resetKey, selectByTouch, uvCheckVerdict, type ReplugEvent, type ResetSummary, type UvCheckResult, type UvLiveReport, type UvProbeTouch } from '../../src/index.js';
import { type KeyUnderTest, startKey } from '../commands/harness.js';
import type { VirtualKeyOptions } from '../../src/sim/virtual-key.js';

const RESET = 0x07;
const SELECTION = 0x0b;
const CTAPHID_CANCEL = 0x11;
const GET_RETRIES = 0x01;
const PIN_TOKEN = 0x09;

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  await Promise.all(keys.map((k) => k.close()));
  keys = [];
});

async function serve(options: VirtualKeyOptions = {}, pin?: string): Promise<KeyUnderTest> {
  const k = await startKey(options);
  keys.push(k);
  if (pin !== undefined) {
    const key = await openKey(k.device);
    await key.setPin(pin).finally(() => key.close());
  }
  k.ctapCommands.length = 0;
  k.hidCommands.length = 0;
  k.clientPinSubCommands.length = 0;
  return k;
}

async function failure(p: Promise<unknown>): Promise<Fido2Error> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(Fido2Error);
  return e as Fido2Error;
}

/** Pulls the served key out when asked to, and plugs it back in a moment later. */
function replugOnRequest(k: KeyUnderTest, events: string[]): (e: ReplugEvent) => void {
  return (e) => {
    events.push(e.phase);
    if (e.phase === 'waiting-unplug') void k.unplug().then(() => setTimeout(() => void k.plugIn(), 300));
  };
}

describe('resetKey: the guided reset with callbacks', () => {
  it('confirms, waits for the replug, resets with a touch and reads the key back', async () => {
    const k = await serve({ presence: { delayMs: 100 } }, '2468');
    const summaries: ResetSummary[] = [];
    const events: string[] = [];
    let touches = 0;
    const r = await resetKey(k.device, {
      confirm: (s) => (summaries.push(s), true),
      onReplug: replugOnRequest(k, events),
      onTouch: () => touches++,
      replugTimeoutMs: 10_000,
    });
    expect(r).toMatchObject({ device: k.device, replugged: true, before: { pinSet: true }, after: { pinSet: false, minPinLength: 4 } });
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ device: k.device, replug: true });
    expect(summaries[0]!.erases).toMatch(/every passkey.*PIN.*fingerprints/);
    expect(events).toEqual(['waiting-unplug', 'unplugged', 'back']);
    expect(touches).toBe(1);
    expect(k.key.snapshot().pin).toBeUndefined();
  });

  it('confirm saying no cancels before anything is asked or sent', async () => {
    const k = await serve({}, '2468');
    const events: string[] = [];
    const e = await failure(resetKey(k.device, { confirm: async () => false, onReplug: (x) => events.push(x.phase) }));
    expect(e.kind).toBe('cancelled');
    expect(events).toEqual([]);
    expect(k.ctapCommands).toEqual([]);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it('the signal ends the replug wait: cancelled, no reset sent', async () => {
    const k = await serve({}, '2468');
    const abort = new AbortController();
    const e = await failure(resetKey(k.device, { confirm: () => true, signal: abort.signal, onReplug: () => abort.abort() }));
    expect(e.kind).toBe('cancelled');
    expect(k.ctapCommands).not.toContain(RESET);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it.each<[string, VirtualKeyOptions, string]>([
    ['outside the window', { resetWindowSeconds: 0.001 }, 'reset-too-late'],
    ['a denied touch', { presence: 'deny' }, 'presence-denied'],
    ['no touch in time', { presence: { delayMs: 60_000 }, userActionTimeoutMs: 300 }, 'presence'],
  ])('noReplug resets at once; %s is its error kind, nothing erased', async (_what, options, kind) => {
    const k = await serve(options, '2468');
    const e = await failure(resetKey(k.device, { confirm: () => true, noReplug: true }));
    expect(e.kind).toBe(kind);
    expect(k.key.snapshot().pin).toBeDefined();
  });
});

describe('selectByTouch: the key touched wins, the others are cancelled', () => {
  it('names the touched key among waiting and refusing ones', async () => {
    const waiting = await serve({ presence: { delayMs: 20_000 } });
    const denying = await serve({ presence: 'deny' });
    const touched = await serve({ presence: { delayMs: 300 } });
    const waits: number[] = [];
    const chosen = await selectByTouch([waiting.device, denying.device, touched.device], { onWaiting: (n) => waits.push(n) });
    expect(chosen).toEqual({ index: 3, path: touched.device });
    expect(waits).toEqual([3]);
    expect(touched.ctapCommands).toContain(SELECTION);
    expect(waiting.hidCommands).toContain(CTAPHID_CANCEL);
    expect(touched.hidCommands).not.toContain(CTAPHID_CANCEL);
  });

  it('takes a comma list like --device; no touch in time is presence, all refusing presence-denied', async () => {
    const a = await serve({ presence: { delayMs: 20_000 } });
    const b = await serve({ presence: { delayMs: 20_000 } });
    expect((await failure(selectByTouch(`${a.device},${b.device}`, { timeoutMs: 500 }))).kind).toBe('presence');
    for (const k of [a, b]) expect(k.hidCommands).toContain(CTAPHID_CANCEL);
    const c = await serve({ presence: 'deny' });
    const d = await serve({ presence: 'deny' });
    expect((await failure(selectByTouch([c.device, d.device]))).kind).toBe('presence-denied');
  });

  it('the signal cancels the wait and every waiting key', async () => {
    const k = await serve({ presence: { delayMs: 20_000 } });
    const abort = new AbortController();
    const e = await failure(selectByTouch([k.device], { signal: abort.signal, onWaiting: () => setTimeout(() => abort.abort(), 100) }));
    expect(e.kind).toBe('cancelled');
    expect(k.hidCommands).toContain(CTAPHID_CANCEL);
  });
});

describe('Fido2Key.checkUserVerification: the uv-check report', () => {
  it('predicts from getInfo alone without live, sending nothing else', async () => {
    const k = await serve({}, '2468');
    const key = await openKey(k.device);
    try {
      const r = await key.checkUserVerification();
      expect(r.prediction.facts).toMatchObject({ ctap: 'fido-2.1', clientPin: 'set' });
      expect(r.prediction.cells.register.required.ask).toBe('pin');
      expect(r.live).toBeUndefined();
      expect(new Set(k.ctapCommands)).toEqual(new Set([0x04]));
    } finally {
      await key.close();
    }
  });

  it('live: probes with the PIN (retries read first), counts the touches, finds no deviation', async () => {
    const k = await serve({}, '2468');
    const key = await openKey(k.device);
    const touches: UvProbeTouch[] = [];
    try {
      const r = await key.checkUserVerification({ live: true, pin: '2468', onTouch: (t) => touches.push(t) });
      expect(r.live?.deviations).toEqual([]);
      expect(r.live?.results.get('mc-verified')).toMatchObject({ status: 'ok', uv: true, pinAsked: true });
      expect(touches.length).toBe(r.live?.plan.touches);
      expect(touches.at(-1)).toMatchObject({ count: touches.length, total: r.live?.plan.touches });
      expect(k.clientPinSubCommands.indexOf(GET_RETRIES)).toBeLessThan(k.clientPinSubCommands.indexOf(PIN_TOKEN));
      expect(k.key.snapshot().credentials).toHaveLength(0);
    } finally {
      await key.close();
    }
  });

  it('live without the PIN on a key that has one: pin-required before any touch; a wrong PIN costs one attempt', async () => {
    const k = await serve({}, '2468');
    const key = await openKey(k.device);
    try {
      let touched = 0;
      expect((await failure(key.checkUserVerification({ live: true, onTouch: () => touched++ }))).kind).toBe('pin-required');
      expect(touched).toBe(0);
      expect(k.ctapCommands.filter((c) => c !== 0x04)).toEqual([]);
      expect((await failure(key.checkUserVerification({ live: true, pin: '1357' }))).kind).toBe('pin-invalid');
      expect(k.clientPinSubCommands.filter((s) => s === PIN_TOKEN)).toHaveLength(1);
      expect(k.key.snapshot().pinRetries).toBe(7);
      expect((await failure(key.checkUserVerification({ includePasskey: true }))).kind).toBe('usage');
    } finally {
      await key.close();
    }
  });
});

describe('uvCheckVerdict: what the CLI exits with after the report', () => {
  const base = { device: 'sim', versions: [], prediction: {} } as unknown as UvCheckResult;
  const live = (l: Partial<UvLiveReport>): UvCheckResult => ({ ...base, live: { deviations: [], ...l } as UvLiveReport });
  it.each<[string, UvCheckResult, string | undefined]>([
    ['no live check', base, undefined],
    ['live, as specified', live({}), undefined],
    ['live, deviating', live({ deviations: ['a', 'b'] }), 'key-deviates'],
    ['the test passkey left on the key', live({ deviations: ['a'], passkey: { created: true, deleted: false, message: 'left' } }), 'not-confirmed'],
  ])('%s', (_what, r, kind) => {
    expect(uvCheckVerdict(r)?.kind).toBe(kind);
  });
});
