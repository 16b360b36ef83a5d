/**
 * `fido2-manage uv-check [--live] [--include-passkey]`: when and why this key
 * asks for a PIN, per kind of site (registration, passkey, sign-in) and per
 * WebAuthn userVerification value, predicted from getInfo and, with --live,
 * checked on the key. A key that answers differently from CTAP 2.1 exits 19.
 */
import { CtapError } from '../../ctap/errors.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { credentialManagementCommand } from '../../ctap/credential-management.js';
import { factsFromInfo, predict } from '../../ctap/uv-prediction.js';
import { Fido2Error } from '../../errors.js';
import { exitCodeFor } from '../exit-codes.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession, type Session } from '../session.js';
import { type LiveReport, textLines, toJson } from './format.js';
import { checkAll, checkSilent } from './observe.js';
import { planProbes } from './plan.js';
import { runProbes } from './probe.js';

export interface UvCheckOptions {
  live?: boolean;
  includePasskey?: boolean;
}

/** getInfo, or undefined for a key that speaks no CTAP2 (U2F only). */
async function infoOrU2f(s: Session): Promise<AuthenticatorInfo | undefined> {
  if (!s.device.capabilities.cbor) return undefined;
  try {
    return await s.ctap.getInfo();
  } catch (e) {
    if (e instanceof CtapError && e.status === 0x01) return undefined;
    throw e;
  }
}

/** An error whose report is already printed: the CLI only turns it into the exit code. */
class ReportedError extends Fido2Error {
  readonly reported = true;
}

export async function runUvCheck(o: UvCheckOptions, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  if (o.includePasskey && !o.live) throw new Fido2Error('usage', '--include-passkey goes with --live (it creates a test passkey on the key and deletes it again).');
  await withSession(g, async (s) => {
    const info = await infoOrU2f(s);
    const prediction = predict(factsFromInfo(info));
    let live: LiveReport | undefined;
    if (o.live) {
      const plan = planProbes(prediction.facts, { includePasskey: o.includePasskey === true, credentialManagement: info !== undefined && credentialManagementCommand(info) !== undefined });
      const run = info === undefined ? { results: new Map(), touchesAsked: 0 } : await runProbes(s, info, plan, g, io);
      const checks = checkAll(prediction, run.results);
      const silent = checkSilent(run.results.get('ga-silent'));
      const deviations = [...Object.values(checks).flatMap((row) => Object.values(row).flatMap((c) => (c.deviation ? [c.deviation] : []))), ...(silent.deviation ? [silent.deviation] : [])];
      live = { plan, checks, results: run.results, silent, deviations: [...new Set(deviations)], ...('passkey' in run && run.passkey ? { passkey: run.passkey } : {}) };
    }
    const failure = live?.passkey?.deleted === false
      ? new ReportedError('not-confirmed', live.passkey.message)
      : live && live.deviations.length > 0
        ? new ReportedError('key-deviates', `The key deviates from CTAP 2.1: ${live.deviations.join('; ')}.`)
        : undefined;
    if (g.json) {
      const error = failure ? { error: { kind: failure.kind, exitCode: exitCodeFor(failure.kind), message: failure.message } } : {};
      printJson({ ok: failure === undefined, ...toJson(s.label, info?.versions ?? [], prediction, live), ...error });
    } else {
      for (const line of textLines(s.label, prediction, live)) printLine(line);
    }
    if (failure) throw failure;
  });
}
