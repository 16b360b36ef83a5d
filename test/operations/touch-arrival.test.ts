/**
 * Selection by touch with keys that turn up during the wait (a card placed on
 * a PC/SC reader): the reader watch (readers.ts) and touchOneOf's late
 * candidates, against in-process virtual keys and a scripted PC/SC service.
 */
import { describe, expect, it } from 'vitest';
import { openDevice } from '../../src/devices/discovery.js';
import { type LateCandidates, type TouchCandidate, touchOneOf } from '../../src/operations/selection.js';
import type { PresenceMode } from '../../src/sim/presence.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { openSimTransport } from '../../src/transports/in-process/sim-transport.js';
import type { PcscSystem, ReaderState } from '../../src/transports/pcsc/pcsc-binding.js';
import { newlyPresent, watchCardArrivals } from '../../src/transports/pcsc/readers.js';

const key = (label: string, presence: PresenceMode): TouchCandidate => ({
  label,
  open: () => openDevice('sim', { openSim: () => openSimTransport(new VirtualKey({ presence })) }),
});

/** A late source that hands over `c` after `afterMs` (a card placed on a reader), or never. */
function placedAfter(afterMs: number, c?: TouchCandidate): LateCandidates & { stopped: boolean } {
  let timer: NodeJS.Timeout | undefined;
  const src = {
    stopped: false,
    onCandidate(add: (c: TouchCandidate) => void) {
      if (c) timer = setTimeout(() => add(c), afterMs);
    },
    stop() {
      src.stopped = true;
      clearTimeout(timer);
    },
  };
  return src;
}

describe('touchOneOf with keys that turn up during the wait', () => {
  it('no key at the start: a card placed during the wait is chosen (it answers at once), numbered after the others', async () => {
    const late = placedAfter(100, key('the card', 'confirm'));
    const waiting: [number, boolean][] = [];
    const r = await touchOneOf([], { timeoutMs: 10_000, late, onWaiting: (n, _s, watching) => waiting.push([n, watching]) });
    expect(r.index).toBe(0);
    expect(waiting).toEqual([[0, true]]);
    expect(late.stopped).toBe(true);
    await r.device.close();
  });

  it('a key that is waiting for a touch loses to a card placed later', async () => {
    const late = placedAfter(150, key('the card', 'confirm'));
    const r = await touchOneOf([key('usb key', { delayMs: 20_000 })], { timeoutMs: 10_000, late });
    expect(r.index).toBe(1);
    await r.device.close();
  });

  it('a key touched first wins when no card arrives, and the watch is stopped', async () => {
    const late = placedAfter(0);
    const r = await touchOneOf([key('usb key', { delayMs: 50 })], { timeoutMs: 10_000, late });
    expect(r.index).toBe(0);
    expect(late.stopped).toBe(true);
    await r.device.close();
  });

  it('nothing placed and nothing touched: bounded by the timeout, saying so', async () => {
    await expect(touchOneOf([], { timeoutMs: 300, late: placedAfter(0) })).rejects.toMatchObject({ kind: 'presence', message: expect.stringMatching(/No key was placed on a reader or touched within/) });
  });

  it('Ctrl-C during a wait for a card ends it as cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(touchOneOf([], { timeoutMs: 10_000, signal: ac.signal, late: placedAfter(0) })).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('without a reader watch, no key at all is no-device at once, as before', async () => {
    await expect(touchOneOf([], { timeoutMs: 10_000 })).rejects.toMatchObject({ kind: 'no-device' });
  });
});

describe('the reader watch', () => {
  const R = (name: string, cardPresent: boolean): ReaderState => ({ name, cardPresent });
  it.each([
    { name: 'nothing changed', before: ['A'], now: [R('A', true), R('B', false)], want: [] },
    { name: 'a card placed on an empty reader', before: [], now: [R('A', true)], want: ['A'] },
    { name: 'a reader plugged in with its card (a CCID key)', before: ['A'], now: [R('A', true), R('Key 00', true)], want: ['Key 00'] },
    { name: 'a card taken off', before: ['A'], now: [R('A', false)], want: [] },
  ])('newlyPresent: $name', ({ before, now, want }) => {
    expect(newlyPresent(new Set(before), now)).toEqual(want);
  });

  function scripted(states: ReaderState[][]): { system: () => Promise<PcscSystem>; closed: () => boolean } {
    let at = 0;
    let closed = false;
    return {
      system: async () => ({
        readers: async () => states[Math.min(at++, states.length - 1)]!,
        connect: async () => {
          throw new Error('the watch never connects');
        },
        close: () => {
          closed = true;
        },
      }),
      closed: () => closed,
    };
  }

  it('reports a card placed after the watch began, not the one already there, and again after off and on', async () => {
    const s = scripted([[R('A', true), R('B', false)], [R('A', true), R('B', false)], [R('A', true), R('B', true)], [R('A', true), R('B', false)], [R('A', true), R('B', true)]]);
    const seen: string[] = [];
    const w = await watchCardArrivals((r) => seen.push(r), { openSystem: s.system, pollMs: 5 });
    expect(w.watching).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    w.stop();
    expect(seen).toEqual(['B', 'B']);
    expect(s.closed()).toBe(true);
  });

  it('no PC/SC service, or no reader: nothing is watched', async () => {
    expect((await watchCardArrivals(() => undefined, { openSystem: () => Promise.reject(new Error('no pcscd')) })).watching).toBe(false);
    const s = scripted([[]]);
    expect((await watchCardArrivals(() => undefined, { openSystem: s.system })).watching).toBe(false);
    expect(s.closed()).toBe(true);
  });
});
