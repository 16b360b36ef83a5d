/**
 * What an enrollment sample's status means to the person at the sensor
 * (lastEnrollSampleStatus, CTAP 2.1 §6.7.2): the CLI prints it, a library
 * caller gets it in `onSample`.
 */
import type { SampleResult } from '../ctap/bio-enrollment.js';

/** What to tell a person about each lastEnrollSampleStatus (§6.7.2). */
export const SAMPLE_ADVICE: Readonly<Record<string, string>> = {
  'too-high': 'the finger was too high on the sensor; move it down a little',
  'too-low': 'the finger was too low on the sensor; move it up a little',
  'too-left': 'the finger was too far left; move it right a little',
  'too-right': 'the finger was too far right; move it left a little',
  'too-fast': 'the finger was lifted too fast; hold it still until asked again',
  'too-slow': 'the touch took too long; touch and lift in one movement',
  'poor-quality': 'the sample was of poor quality; clean and dry the finger and the sensor',
  'too-skewed': 'the finger was at an angle; lay it flat and straight',
  'too-short': 'the touch was too short; hold the finger on the sensor a moment longer',
  'merge-failure': 'the sample did not match the earlier ones; use the same finger',
  'already-enrolled': 'this finger is already enrolled; use another finger',
  'no-user-activity': 'no finger was felt; touch the sensor',
  'no-user-presence-transition': 'the finger stayed on the sensor; lift it and touch again',
};

export function sampleAdvice(r: Pick<SampleResult, 'statusName'>): string {
  return SAMPLE_ADVICE[r.statusName] ?? `the key reported sample status ${r.statusName}`;
}

/** One capture as the key reported it. */
export interface SampleEvent {
  /** 'good', or the named problem ('too-fast', 'poor-quality', ...; 'unknown-0xNN' for a code CTAP does not name). */
  readonly status: string;
  /** The raw lastEnrollSampleStatus. */
  readonly statusCode: number;
  /** Good samples the key still needs; 0 ends the enrollment. */
  readonly remaining: number;
  /** One line for the person: what went wrong and what to do, or that the sample was taken. */
  readonly message: string;
}

/** Before each capture: the key now waits for the finger (sample counts good samples, from 1). */
export interface CaptureEvent {
  readonly sample: number;
  /** How many good samples the enrollment takes, when known (from the sensor info or the first reply). */
  readonly total: number | undefined;
}

export function sampleEvent(r: SampleResult): SampleEvent {
  const message = r.status === 0 ? (r.remainingSamples === 0 ? 'sample taken; the fingerprint is complete' : `sample taken; ${r.remainingSamples} more to go`) : sampleAdvice(r);
  return { status: r.statusName, statusCode: r.status, remaining: r.remainingSamples, message };
}
