/**
 * Ctrl-C for one command: the first aborts what is pending (the HID layer
 * sends CTAPHID_CANCEL to keys waiting for a touch), a second quits at once.
 */
export function onInterrupt(): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}
