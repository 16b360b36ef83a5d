import { afterEach, describe, expect, it } from 'vitest';
import { applyToTargets } from '../../src/fleet/apply-many.js';
import { KeyMutex } from '../../src/fleet/mutex.js';
import { resolveTargets } from '../../src/fleet/selection.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { startSimServer } from '../../src/sim/server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A served key that records, for every CTAPHID init packet, the channel it came on. */
async function tappedKey(): Promise<{ device: string; channels: number[] }> {
  const key = new VirtualKey();
  const channels: number[] = [];
  const connect = key.connect.bind(key);
  key.connect = (onReport) => {
    const link = connect(onReport);
    return {
      write(r: Uint8Array) {
        // CTAPHID_INIT on the broadcast channel opens a session; it belongs to the next channel's block.
        if (r[4]! & 0x80 && r[4] !== 0x86) channels.push(((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0);
        link.write(r);
      },
      close: () => link.close(),
    };
  };
  const server = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  closers.push(() => server.close());
  return { device: `tcp:127.0.0.1:${server.port}`, channels };
}

/** Blocks of one channel each: [a, a, b, b, a] has an interleaving, [a, a, b, b] has none. */
const interleaved = (xs: number[]): boolean => {
  const seen = new Set<number>();
  for (let i = 0; i < xs.length; i++) {
    if (i > 0 && xs[i] !== xs[i - 1]) {
      if (seen.has(xs[i]!)) return true;
      seen.add(xs[i - 1]!);
    }
  }
  return false;
};

describe('one operation at a time per key', () => {
  it('KeyMutex runs holders of one id one after another and other ids alongside', async () => {
    const m = new KeyMutex();
    const log: string[] = [];
    const task = (id: string, name: string) =>
      m.run(id, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        log.push(`${name}-`);
      });
    await Promise.all([task('k', 'a'), task('k', 'b'), task('j', 'c'), task('k', 'd')]);
    const onK = log.filter((l) => !l.startsWith('c'));
    expect(onK).toEqual(['a+', 'a-', 'b+', 'b-', 'd+', 'd-']);
    // The other key's task ran while a held k.
    expect(log.indexOf('c+')).toBeLessThan(log.indexOf('a-'));
    expect(m.busy('k')).toBe(false);
  });

  it('two apply runs at once on the same keys never interleave their transactions on a key', async () => {
    const keys = [await tappedKey(), await tappedKey(), await tappedKey()];
    const targets = await resolveTargets(keys.map((k) => k.device));
    const policy = { pin: true, minPinLength: { length: 6 }, alwaysUv: true };
    const pins = () => ({ current: '13572468', new: '13572468' });
    // The same key twice in one run as well as in two runs at once.
    const [a, b, c] = await Promise.all([
      applyToTargets(targets, policy, { pinsFor: pins, jobs: 8 }),
      applyToTargets([...targets].reverse(), policy, { pinsFor: pins, jobs: 8 }),
      applyToTargets([targets[0]!, { ...targets[0]!, number: 2 }], policy, { pinsFor: pins, jobs: 8 }),
    ]);
    for (const results of [a, b, c]) expect(results.every((r) => r.ok)).toBe(true);
    // Exactly one of the runs changed each key; the later ones found nothing to do.
    for (const k of keys) {
      expect(new Set(k.channels).size).toBeGreaterThan(1);
      expect(interleaved(k.channels)).toBe(false);
    }
    const changedPerKey = targets.map((t) => [a, b, c].flat().filter((r) => r.target.selector === t.selector && r.value?.changed).length);
    expect(changedPerKey).toEqual([1, 1, 1]);
  });
});
