/**
 * When one command runs on many keys, each key's run of the ordinary command
 * body happens inside a KeyContext: its output is captured for the per-key
 * table instead of printed, Ctrl-C is handled once for all keys, and PINs come
 * from one shared source (asked once) or from the key's line in --pins.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PinIo } from './pin-input.js';
import type { KeyState } from '../operations/settings-plan.js';

export interface KeyContext {
  signal: AbortSignal;
  io: PinIo;
  /** JSON documents and text lines the command body printed. */
  json: unknown[];
  lines: string[];
  notices: string[];
  onTouch(): void;
  /** Filled from the first getInfo the command makes. */
  aaguid?: string;
  /** The key's settings from the command's first getInfo, and read once more after it ran. */
  before?: KeyState;
  after?: KeyState;
}

const storage = new AsyncLocalStorage<KeyContext>();

export const currentKeyContext = (): KeyContext | undefined => storage.getStore();

export function runInKeyContext<T>(ctx: KeyContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(ctx, fn);
}
