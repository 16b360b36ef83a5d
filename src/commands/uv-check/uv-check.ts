/**
 * `fido2-manage uv-check [--live] [--include-passkey]`: the report of
 * src/operations/uv-check/check.ts as text or JSON. A key that answers
 * differently from CTAP 2.1 exits 19.
 */
import { Fido2Error } from '../../errors.js';
import { checkUserVerification, uvCheckVerdict } from '../../operations/uv-check/check.js';
import type { ProbeTouch } from '../../operations/uv-check/probe.js';
import { cliAuthorizer } from '../authorize.js';
import { exitCodeFor } from '../../exit-codes.js';
import type { GlobalOptions } from '../global-options.js';
import { notice, printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { textLines, toJson } from './format.js';

export interface UvCheckOptions {
  live?: boolean;
  includePasskey?: boolean;
}

/** An error whose report is already printed: the CLI only turns it into the exit code. */
class ReportedError extends Fido2Error {
  readonly reported = true;
}

function sayTouch(t: ProbeTouch): void {
  if ('unexpected' in t) notice('The key asks for a touch nobody expected: touch it.');
  else notice(`${t.sensor ? 'Touch the fingerprint sensor of your key' : 'Touch your key'} (${t.count} of ${t.total})...`);
}

export async function runUvCheck(o: UvCheckOptions, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  if (o.includePasskey && !o.live) throw new Fido2Error('usage', '--include-passkey goes with --live (it creates a test passkey on the key and deletes it again).');
  await withSession(g, async (s) => {
    const r = await checkUserVerification(s, cliAuthorizer(g, io), {
      live: o.live === true,
      includePasskey: o.includePasskey === true,
      onTouch: sayTouch,
      onCleanup: (outcome) => notice(outcome.message),
    });
    const verdict = uvCheckVerdict(r);
    const failure = verdict ? new ReportedError(verdict.kind, verdict.message) : undefined;
    if (g.json) {
      const error = failure ? { error: { kind: failure.kind, exitCode: exitCodeFor(failure.kind), message: failure.message } } : {};
      printJson({ ok: failure === undefined, ...toJson(r.device, r.versions, r.prediction, r.live), ...error });
    } else {
      for (const line of textLines(r.device, r.prediction, r.live)) printLine(line);
    }
    if (failure) throw failure;
  });
}
