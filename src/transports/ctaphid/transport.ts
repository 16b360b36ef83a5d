/** HID reports are 64 bytes for every FIDO key this tool supports (CTAP 2.1 §11.2.4). */
export const REPORT_SIZE = 64;

/**
 * One open link to an authenticator that moves whole 64-byte HID reports,
 * without the report-ID byte. node-hid, TCP and the in-process virtual key
 * each implement it; CTAPHID framing lives above it in ctaphid.ts.
 */
export interface Transport {
  /** Where this link goes (a path, tcp:HOST:PORT or sim); safe to print. */
  readonly label: string;
  /** Sends one report of exactly REPORT_SIZE bytes. Rejects with a Fido2Error('transport') when the device is gone. */
  write(report: Uint8Array): Promise<void>;
  /**
   * Resolves with the next report received, or undefined when none arrived
   * within timeoutMs. Rejects with a Fido2Error('transport') once the device is gone.
   */
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  /** Releases the device; safe to call twice. */
  close(): Promise<void>;
}
