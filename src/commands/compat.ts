/**
 * The single-dash spellings of the original fido2-manage script, so existing
 * scripts such as `fido2-manage -uvs -device 1 -pin 1234` run unchanged.
 */
const COMMANDS: Readonly<Record<string, string>> = {
  '-list': 'list',
  '-info': 'info',
  '-setPIN': 'set-pin',
  '-changePIN': 'change-pin',
  '-uvs': 'uvs',
  '-uvd': 'uvd',
  '-setMinimumPIN': 'min-pin-length',
  '-forcePINchange': 'force-pin-change',
  '-residentKeys': 'credentials list',
  '-storage': 'credentials list --summary',
  '-delete': 'credentials delete',
};

const OPTIONS: Readonly<Record<string, string>> = {
  '-device': '--device',
  '-pin': '--pin',
  '-domain': '--rp',
};

/** Flags whose value becomes a positional argument (`-delete -credential ID`). */
const POSITIONAL_FLAGS: ReadonlySet<string> = new Set(['-credential']);

/** Rewrites legacy arguments (without node and script) into the modern form; the command word goes first. */
export function rewriteLegacyArgs(args: readonly string[]): string[] {
  let command: string | undefined;
  const rest: string[] = [];
  for (const a of args) {
    const c = COMMANDS[a];
    if (c !== undefined && command === undefined) command = c;
    else if (!POSITIONAL_FLAGS.has(a)) rest.push(OPTIONS[a] ?? a);
  }
  return command === undefined ? rest : [...command.split(' '), ...rest];
}
