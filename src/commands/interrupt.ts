/**
 * Ctrl-C for one command: the first aborts what is pending (the HID layer
 * sends CTAPHID_CANCEL to keys waiting for a touch), a second quits at once.
 * `onQuit` says, for the second, what was applied and with which exit code.
 */
export function onInterrupt(onQuit?: () => number | undefined): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(onQuit?.() ?? 130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}
