import { Command, CommanderError, Option } from 'commander';
import { Fido2Error } from './errors.js';
import { exitCodeFor } from './exit-codes.js';
import { rewriteLegacyArgs } from './commands/compat.js';
import type { GlobalOptions } from './commands/global-options.js';
import { VERSION } from './version.js';
import { setJsonCommand, tolerateClosedStdout, withCommand } from './commands/output.js';
import { printableLines } from './commands/terminal-text.js';

/** Commands that take only the global options; each module is imported when its command runs. */
const SIMPLE_COMMANDS: ReadonlyArray<readonly [name: string, description: string, run: (g: GlobalOptions) => Promise<void>]> = [
  ['list', 'list the FIDO security keys attached over USB and on PC/SC readers (or those --device names), with each key\'s model', async (g) => (await import('./commands/device/list.js')).runList(g)],
  ['info', 'show what the key supports and how it is set (getInfo, PIN retries)', async (g) => (await import('./commands/device/info.js')).runInfo(g)],
  ['wink', 'make the key blink, to tell which one --device points at', async (g) => (await import('./commands/device/wink.js')).runWink(g)],
  ['retries', 'show PIN and UV retries left and whether a power cycle is needed', async (g) => (await import('./commands/pin/retries.js')).runRetries(g)],
  ['set-pin', 'set a PIN on a key that has none', async (g) => (await import('./commands/pin/set-pin.js')).runSetPin(g)],
  ['change-pin', 'change the PIN (the current one is needed)', async (g) => (await import('./commands/pin/change-pin.js')).runChangePin(g)],
  ['verify-pin', 'check a PIN without changing anything', async (g) => (await import('./commands/pin/verify-pin.js')).runVerifyPin(g)],
  ['uvs', 'turn always-UV on: the key asks for PIN or fingerprint on every operation', async (g) => (await import('./commands/config/always-uv.js')).runAlwaysUv(true, g)],
  ['uvd', 'turn always-UV off: the key asks for PIN only when the site requires it', async (g) => (await import('./commands/config/always-uv.js')).runAlwaysUv(false, g)],
  ['force-pin-change', 'require a new PIN before the key can be used again', async (g) => (await import('./commands/config/force-pin-change.js')).runForcePinChange(g)],
];

/**
 * The command line. Each command's module is imported only when that command
 * runs, so `--version` and `--help` stay fast and node-hid loads only for HID.
 */
export function buildProgram(): Command {
  const program = new Command('fido2-manage')
    .description('Manage FIDO2 security keys over USB HID (CTAP 2.x): PIN, always-UV, minimum PIN length, passkeys, fingerprints, large blobs, reset, many keys at once.')
    .version(VERSION, '--version', 'print the version')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-d, --device <selector>', 'key to use: index from `list`, HID path, serial:SERIAL, tcp:HOST:PORT, sim, or touch (touch the key you mean); repeat it or give a comma list for several keys, or `all`', joinDevices)
    .option('--jobs <n>', 'with several keys: how many to work on at once', '16')
    .option('--pins <file>', 'with several keys: CSV of selector,pin lines, one PIN per key (keep it chmod 600)')
    .option('--timeout <seconds>', 'give up on a key that does not answer within this time', '10')
    .option('-v, --verbose', 'trace CTAPHID traffic to stderr (never PINs or PIN-derived values)')
    .option('--pin-protocol <1|2>', 'force PIN/UV auth protocol 1 or 2')
    .option('--uv', 'use built-in user verification (fingerprint) instead of the PIN')
    .option('--min-retries <n>', 'do not try a PIN when this many or fewer attempts are left')
    .option('--mds <file>', 'a FIDO Metadata Service BLOB (mds3.fidoalliance.org), verified, to show each key\'s certification level')
    .option('--pin-file <path>', 'read the PIN from the first line of this file')
    .option('--pin-env <var>', 'read the PIN from this environment variable')
    .option('--pin-stdin', 'read the PIN from the first line of standard input, within --timeout (on a terminal: asked without echo)')
    .addOption(new Option('--pin <pin>', 'the PIN on the command line (visible to other users; prefer FIDO2_PIN)'))
    .option('--new-pin-file <path>', 'read the new PIN from the first line of this file')
    .option('--new-pin-env <var>', 'read the new PIN from this environment variable')
    .option('--new-pin-stdin', 'read the new PIN from standard input (second line when --pin-stdin is also given)')
    .addOption(new Option('--new-pin <pin>', 'the new PIN on the command line (visible to other users; prefer FIDO2_NEW_PIN)'))
    .showHelpAfterError('(run `fido2-manage --help` for usage)')
    // `fido2-manage <command> --help` lists the global options (device, PIN sources, --json) too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    // Option values are checked before any command runs, whichever it is.
    .hook('preAction', async (_program, action) => (await import('./commands/global-options.js')).checkGlobalOptions(action.optsWithGlobals()));

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  for (const [name, description, run] of SIMPLE_COMMANDS) {
    const command = program.command(name).description(description);
    // list opens each key for its model; --no-probe lists without opening any.
    if (name === 'list') command.option('--no-probe', 'do not open the keys: list them without their model (AAGUID)');
    command.action(async (_o, cmd: Command) => (name === 'list' ? run(globals(cmd)) : onKeys(globals(cmd), run)));
  }
  program
    .command('apply')
    .description('bring one or many keys to the state a policy file declares (PIN, min PIN length, always-UV...)')
    .argument('<policy>', 'JSON policy file, e.g. {"pin": true, "minPinLength": {"length": 8}, "alwaysUv": true}')
    .option('--dry-run', 'print the plan per key and change nothing')
    .option('--watch', 'provisioning station: run until Ctrl-C, provisioning every key that is plugged in (USB, or the tcp: keys named)')
    .option('--include-present', 'with --watch: also provision the keys attached when the station starts')
    .option('--journal <file>', 'append one JSON line per key to this file; keys it has done under the same policy are skipped')
    .option('--station <name>', 'the station name the journal records (default: the host name)')
    .option('--generate-pins <file>', 'give each key without a PIN a random one, written to this new CSV file (mode 600) before it is set')
    .option('--pin-alphabet <chars>', 'with --generate-pins: the characters a PIN is made of (default digits)')
    .action(async (policy: string, o: { dryRun?: boolean; watch?: boolean; includePresent?: boolean; journal?: string; station?: string; generatePins?: string; pinAlphabet?: string }, cmd: Command) => (await import('./commands/fleet/apply.js')).runApply(policy, o, globals(cmd)));
  program
    .command('journal')
    .description('provisioning station journals (apply --journal)')
    .command('report')
    .description('merge journals from several stations: per key its last outcome, when and where')
    .argument('<files...>', 'journal files (JSON lines)')
    .option('--csv', 'print CSV instead of a table')
    .action(async (files: string[], o: { csv?: boolean }, cmd: Command) => (await import('./commands/journal/report.js')).runJournalReport(files, o, globals(cmd)));
  program
    .command('min-pin-length')
    .description('raise the minimum PIN length (it can never be lowered except by reset)')
    .argument('<length>', 'new minimum, 4 to 63')
    .option('--rp-id <id...>', 'sites allowed to read the minimum PIN length')
    .option('--force-change', 'also require a PIN change before the next use')
    .option('--complexity', "also turn on the key's PIN complexity policy (CTAP 2.2 keys that have one; it cannot be turned off)")
    .option('--yes', 'raise it without asking (needed when not on a terminal: it cannot be undone)')
    .action(async (length: string, o: { rpId?: string[]; forceChange?: boolean; complexity?: boolean; yes?: boolean }, cmd: Command) =>
      onKeys(globals(cmd), async (g) => (await import('./commands/config/min-pin-length.js')).runMinPinLength(length, o, g)),
    );
  program
    .command('enable-enterprise-attestation')
    .description('enable enterprise attestation (authenticatorConfig 0x01; only a reset turns it off)')
    .option('--yes', 'enable it without asking (needed when not on a terminal: it cannot be undone)')
    .action(async (o: { yes?: boolean }, cmd: Command) =>
      onKeys(globals(cmd), async (g) => (await import('./commands/config/enterprise-attestation.js')).runEnableEnterpriseAttestation(g, o)),
    );
  program
    .command('enable-long-touch-reset')
    .description('make a reset need a long touch (CTAP 2.2 authenticatorConfig 0x04; no command turns it off)')
    .option('--yes', 'enable it without asking (needed when not on a terminal: it cannot be undone)')
    .action(async (o: { yes?: boolean }, cmd: Command) =>
      onKeys(globals(cmd), async (g) => (await import('./commands/config/long-touch-reset.js')).runEnableLongTouchReset(g, o)),
    );
  program
    .command('reset')
    .description('erase every passkey, the PIN, fingerprints, large blobs and all settings: guided unplug, replug and touch')
    .option('--yes', 'do not ask for confirmation')
    .option('--no-replug', 'reset at once, for keys that accept a reset at any time (no unplug and replug)')
    .action(async (o: { yes?: boolean; replug?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (isManyDevices(g) && !o.yes) throw new Fido2Error('usage', 'reset on several keys erases all of them; pass --yes to confirm.');
      return onKeys(g, async (gk) => (await import('./commands/device/reset.js')).runReset(isManyDevices(g) ? { ...o, replug: false } : o, gk));
    });
  program
    .command('select')
    .description('touch the key you mean: every key (or each one named) blinks, the one touched is named')
    .argument('[selectors...]', 'keys to choose from (index, path, serial:S, tcp:HOST:PORT, sim); default every attached key')
    .action(async (selectors: string[], _o, cmd: Command) => (await import('./commands/device/select.js')).runSelect(selectors, globals(cmd)));
  const credentials = program.command('credentials').description('passkeys stored on the key: list, delete, rename (credential management)');
  oneKeyOnly(credentials);
  credentials
    .command('list')
    .description('show how many passkeys are stored and room left, then each one by site')
    .option('--rp <id>', 'only the passkeys of this site (RP ID), e.g. github.com')
    .option('--summary', 'only the counts: passkeys stored and room left')
    .option('--remember', 'ask for the PIN once and keep a read-only token for this key (CTAP 2.2+ perCredMgmtRO), so later listings need no PIN')
    .action(async (o: { rp?: string; summary?: boolean; remember?: boolean }, cmd: Command) => (await import('./commands/credentials/list.js')).runCredentialsList(o, globals(cmd)));
  credentials
    .command('forget')
    .description('drop the read-only token `credentials list --remember` kept for this key')
    .option('--all', 'drop the tokens kept for every key (no key needed)')
    .action(async (o: { all?: boolean }, cmd: Command) => (await import('./commands/credentials/remembered.js')).runCredentialsForget(o, globals(cmd)));
  credentials
    .command('delete')
    .description('delete one passkey (asks first; --yes when not on a terminal)')
    .argument('<id>', 'credential id in base64url, or a unique start of it, from `credentials list`')
    .option('--yes', 'do not ask for confirmation')
    .action(async (id: string, o: { yes?: boolean }, cmd: Command) => (await import('./commands/credentials/delete.js')).runCredentialsDelete(id, o, globals(cmd)));
  credentials
    .command('update')
    .description("change a passkey's user name and/or display name (the user id stays)")
    .argument('<id>', 'credential id in base64url, or a unique start of it')
    .option('--name <name>', 'new user name')
    .option('--display-name <name>', 'new display name')
    .action(async (id: string, o: { name?: string; displayName?: string }, cmd: Command) =>
      (await import('./commands/credentials/update.js')).runCredentialsUpdate(id, o, globals(cmd)),
    );
  const fingerprints = program.command('fingerprints').description('enroll, list, rename and delete fingerprints on a key with a sensor');
  oneKeyOnly(fingerprints);
  fingerprints
    .command('list')
    .description('the enrolled fingerprints (id, name) and the sensor')
    .action(async (_o, cmd: Command) => (await import('./commands/fingerprints/list.js')).runFingerprintsList(globals(cmd)));
  fingerprints
    .command('add')
    .description('enroll a finger, touching the sensor once per sample')
    .option('--name <name>', 'a name for the new fingerprint')
    .action(async (o: { name?: string }, cmd: Command) => (await import('./commands/fingerprints/add.js')).runFingerprintsAdd(o, globals(cmd)));
  fingerprints
    .command('rename')
    .description('give an enrolled fingerprint a new name')
    .argument('<id>', 'fingerprint id as `fingerprints list` prints it')
    .argument('<name>', 'the new name')
    .action(async (id: string, name: string, _o, cmd: Command) => (await import('./commands/fingerprints/rename.js')).runFingerprintsRename(id, name, globals(cmd)));
  fingerprints
    .command('delete')
    .description('delete an enrolled fingerprint')
    .argument('<id>', 'fingerprint id as `fingerprints list` prints it')
    .option('--yes', 'do not ask for confirmation')
    .action(async (id: string, o: { yes?: boolean }, cmd: Command) => (await import('./commands/fingerprints/delete.js')).runFingerprintsDelete(id, o, globals(cmd)));
  const largeBlobs = program.command('large-blobs').description('data stored on the key for passkeys (CTAP 2.1 large blobs): list, get, set, delete, clean');
  oneKeyOnly(largeBlobs);
  const credentialOption = ['--credential <id>', 'the passkey: its id in base64url, or a unique start of it, from `large-blobs list` or `credentials list`'] as const;
  largeBlobs
    .command('list')
    .description('each stored large blob: its size and the passkey it belongs to, or orphaned')
    .action(async (_o, cmd: Command) => (await import('./commands/large-blobs/list.js')).runLargeBlobsList(globals(cmd)));
  largeBlobs
    .command('get')
    .description("write a passkey's large blob to a file, or to standard output")
    .option(...credentialOption)
    .option('-o, --output <file>', 'write the data to this file instead of standard output')
    .option('--to-terminal', 'write the raw data to standard output even when it is a terminal')
    .action(async (o: { credential?: string; output?: string; toTerminal?: boolean }, cmd: Command) => (await import('./commands/large-blobs/get.js')).runLargeBlobsGet(o, globals(cmd)));
  largeBlobs
    .command('set')
    .description("store a file as a passkey's large blob, replacing the one it has")
    .argument('<file>', 'the data to store, or - for standard input')
    .option(...credentialOption)
    .action(async (file: string, o: { credential?: string }, cmd: Command) => (await import('./commands/large-blobs/set.js')).runLargeBlobsSet(file, o, globals(cmd)));
  largeBlobs
    .command('delete')
    .description("delete a passkey's large blob (asks first; --yes when not on a terminal)")
    .option(...credentialOption)
    .option('--yes', 'do not ask for confirmation')
    .action(async (o: { credential?: string; yes?: boolean }, cmd: Command) => (await import('./commands/large-blobs/delete.js')).runLargeBlobsDelete(o, globals(cmd)));
  largeBlobs
    .command('clean')
    .description('remove the large blobs no passkey on the key can open (asks first; --yes when not on a terminal)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (o: { yes?: boolean }, cmd: Command) => (await import('./commands/large-blobs/clean.js')).runLargeBlobsClean(o, globals(cmd)));
  program
    .command('uv-check')
    .description('when and why this key asks for a PIN, per kind of site (registration, passkey, sign-in) and userVerification; --live checks it on the key')
    .option('--live', 'check the prediction on the key: a few registrations and sign-ins for uv-check.invalid that leave nothing on it (asks for touches, and for the PIN only when needed)')
    .option('--include-passkey', 'with --live on a key with a PIN: also create one test passkey and delete it again')
    .action(async (o: { live?: boolean; includePasskey?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      refuseManyKeys(g, 'uv-check');
      return (await import('./commands/uv-check/uv-check.js')).runUvCheck(o, g);
    });
  program
    .command('demo')
    .description('serve a page on 127.0.0.1 to register and sign in with your key and see what the browser and key did, beside the uv-check prediction')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free port)')
    .option('--open', 'open the page in the default browser')
    .action(async (o: { port?: string; open?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      refuseManyKeys(g, 'demo');
      return (await import('./commands/demo.js')).runDemo(o, g);
    });
  program
    .command('sim')
    .description('serve the built-in virtual key over TCP (pico-keys framing), or as a card in a vpcd reader')
    .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:35962)')
    .option('--vpcd <host:port>', 'be a contactless card in the vpcd virtual reader at host:port (pcscd; vpcd listens on 127.0.0.1:35963)')
    .option('--profile <name>', 'fido-2.1 | fido-2.1-pre | fido-2.0 | u2f-only | fido-2.3 | fido-2.3-only', 'fido-2.1')
    .option('--uv', 'simulate a built-in fingerprint sensor with one finger enrolled')
    .option('--fingers <n>', 'a fingerprint sensor starting with n fingers enrolled (0-5; implies --uv)')
    .option('--state <file>', 'keep the key state in this file across runs')
    .option('--reset-window <seconds>', 'accept reset only this many seconds after power-up')
    .option('--presence <mode>', 'confirm | deny | delay:MS', 'confirm')
    .option('--make-cred-uv-not-rqd <on|off>', 'off: once protected, every registration asks for UV (CTAP 2.1 makeCredUvNotRqd)')
    .option('--large-blob-max <bytes>', 'large-blob storage of a fido-2.1 key (1024-1048576, default 4096; 0: none)')
    .option('--apdus <extended|short>', 'with --vpcd: the card takes extended APDUs and says so in its ATR (default), or short ones only')
    // --uv is also a global option; merging the globals makes `sim --uv` reach the key either way.
    .action(async (_o, cmd: Command) => (await import('./commands/sim.js')).runSim(cmd.optsWithGlobals()));
  return program;
}

/** Repeated --device values are kept as one comma list; the many-keys layer splits it. */
function joinDevices(value: string, previous: string | undefined): string {
  return previous === undefined ? value : `${previous},${value}`;
}

/** Several keys (a comma list, `all`, or a --pins table): the command runs per key with a results table. */
function isManyDevices(g: GlobalOptions & { pins?: string }): boolean {
  return g.pins !== undefined || (g.device !== undefined && (g.device.includes(',') || /^\s*all\s*$/i.test(g.device)));
}

/** Commands that work through one key's contents, touch by touch, take one key: a list of keys is named as the mistake. */
function refuseManyKeys(g: GlobalOptions & { pins?: string }, name: string): void {
  if (isManyDevices(g)) throw new Fido2Error('usage', `${name} works on one key at a time; give one --device (several keys: run it once per key).`);
}

function oneKeyOnly(group: Command): void {
  group.hook('preAction', (_group, action) => refuseManyKeys(action.optsWithGlobals<GlobalOptions & { pins?: string }>(), `${group.name()} ${action.name()}`));
}

async function onKeys(g: GlobalOptions, run: (g: GlobalOptions) => Promise<void>): Promise<void> {
  if (!isManyDevices(g)) return run(g);
  return (await import('./commands/fleet/many.js')).runOnMany(g, run);
}

function errorLine(e: unknown): { kind: Fido2Error['kind'] | 'internal'; message: string; reason?: string } {
  if (e instanceof Fido2Error) return e.reason === undefined ? { kind: e.kind, message: e.message } : { kind: e.kind, message: e.message, reason: e.reason };
  return { kind: 'internal', message: `Unexpected error: ${e instanceof Error ? e.message : String(e)}. Please report it with the output of --verbose.` };
}

function printError(line: { kind: string; message: string; reason?: string }, exitCode: number, device: string | null): void {
  const error = { kind: line.kind, exitCode, message: line.message, ...(line.reason === undefined ? {} : { reason: line.reason }) };
  process.stdout.write(`${JSON.stringify(withCommand({ ok: false, device, error }), null, 2)}\n`);
}

/** Which options, of the program and of every command, consume the next argument as their value. */
function valueOptions(program: Command): (option: string) => boolean {
  const names = new Set<string>();
  // Command groups (credentials, large-blobs...) keep their options one level down.
  for (const cmd of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
    for (const o of cmd.options) {
      if (!o.required && !o.optional) continue;
      if (o.long) names.add(o.long);
      if (o.short) names.add(o.short);
    }
  }
  return (option) => names.has(option);
}

/** The command the arguments name ("info", "credentials list"), or null when they name none. */
function commandPath(program: Command, args: readonly string[], takesValue: (option: string) => boolean): string | null {
  const words: string[] = [];
  let group: Command = program;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && takesValue(a)) i++;
      continue;
    }
    const sub = group.commands.find((c) => c.name() === a);
    if (!sub) break;
    words.push(a);
    if (sub.commands.length === 0) break;
    group = sub;
  }
  return words.length === 0 ? null : words.join(' ');
}

/** The --device value as typed, for the JSON error document (null when none was given). */
function deviceArg(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '--device' || a === '-d' || a === '-device') && i + 1 < args.length) return args[i + 1]!;
    if (a.startsWith('--device=')) return a.slice('--device='.length);
  }
  return null;
}

export async function main(argv: readonly string[]): Promise<number> {
  tolerateClosedStdout();
  const program = buildProgram();
  const json = argv.includes('--json');
  let device = deviceArg(argv);
  try {
    const takesValue = valueOptions(program);
    const args = rewriteLegacyArgs(argv, takesValue);
    device = deviceArg(args);
    setJsonCommand(commandPath(program, args, takesValue));
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // commander has already printed the message (or, for a missing command, the help) to stderr.
      const code = exitCodeFor('usage');
      const message = e.code === 'commander.help' ? 'No command given; run `fido2-manage --help` to see the commands.' : e.message.replace(/^error: /, '');
      if (json) printError({ kind: 'usage', message }, code, device);
      return code;
    }
    // Many keys: the per-key results are already printed; only the exit code is left.
    if (e instanceof Fido2Error && (e as Fido2Error & { reported?: boolean }).reported === true) return exitCodeFor(e.kind);
    const line = errorLine(e);
    const code = exitCodeFor(line.kind);
    if (json) printError(line, code, device);
    process.stderr.write(`fido2-manage: ${printableLines(line.message)}\n`);
    return code;
  }
}
