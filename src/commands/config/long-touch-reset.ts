import { enableLongTouchForReset } from '../../operations/config.js';
import type { GlobalOptions } from '../global-options.js';
import type { PinIo } from '../pin-input.js';
import { runOneWaySetting } from './one-way-setting.js';

/** `enable-long-touch-reset`: no authenticatorConfig subcommand turns it off again, so it is confirmed first. */
export function runEnableLongTouchReset(g: GlobalOptions, o: { yes?: boolean } = {}, io?: PinIo): Promise<void> {
  return runOneWaySetting(
    {
      run: enableLongTouchForReset,
      field: 'longTouchForReset',
      question: 'Make a reset of this key need a long touch (press and hold for about 5 seconds)? No command turns this off again.',
      withoutTerminal: 'Enabling long touch for reset cannot be undone by any command; pass --yes to confirm when not on a terminal. Nothing was changed.',
      done: 'A reset of this key now needs a long touch (confirmed by the key).',
      already: 'This key already needs a long touch for a reset; nothing to do.',
    },
    g,
    o,
    io,
  );
}
