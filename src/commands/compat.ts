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
  '-fingerprint': 'fingerprints add',
  '-fingerprintlist': 'fingerprints list',
  '-renamefingerprint': 'fingerprints rename',
  '-deletefingerprint': 'fingerprints delete',
};

const OPTIONS: Readonly<Record<string, string>> = {
  '-device': '--device',
  '-pin': '--pin',
  '-fingerprintname': '--name',
};

/** Rewrites legacy arguments (without node and script) into the modern form; the command word goes first. */
export function rewriteLegacyArgs(args: readonly string[]): string[] {
  let command: string | undefined;
  const rest: string[] = [];
  for (const a of args) {
    const c = COMMANDS[a];
    if (c !== undefined && command === undefined) command = c;
    else rest.push(OPTIONS[a] ?? a);
  }
  // A command may be a group and its subcommand ('fingerprints add').
  return command === undefined ? rest : [...command.split(' '), ...rest];
}
