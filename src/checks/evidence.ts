import type { Deferral } from '../core/deferral.js';
import type { TranscriptEvent } from '../core/transcript.js';
import type { RelayProbeResult } from './relay-rules.js';

/**
 * What proves a verdict, as data (docs/architecture.md#verdicts): checks and the
 * runner fill it, only src/render/ turns it into text (render/evidence-lines.ts),
 * for the report, JSON, JUnit and annotations alike.
 */
export type EvidenceBlock =
  /** One session's transcript: what went over the wire, in order. The default evidence of a check. */
  | { kind: 'session'; events: readonly TranscriptEvent[] }
  /** The probes of a relay family, one line each: the outcome, the envelope, the reply and the control. */
  | { kind: 'relay-probes'; probes: readonly RelayProbeResult[] }
  /** Facts that are already text: DNS answers, an MTA-STS policy, a report read back from a file. */
  | { kind: 'lines'; lines: readonly string[] };

export type Evidence = readonly EvidenceBlock[];

export const NO_EVIDENCE: Evidence = [];

export const linesEvidence = (lines: readonly string[]): Evidence => (lines.length > 0 ? [{ kind: 'lines', lines }] : NO_EVIDENCE);

/**
 * Structured findings for JSON and the commands that tabulate them (relay-test). The
 * JSON shape of each kind is fixed by docs/json.md (render/json-details.ts).
 */
export type CheckDetails =
  /** A relay family's probes, in the order asked (docs/json.md, checks[].details). */
  | { kind: 'relay-probes'; probes: readonly RelayProbeResult[] }
  /** A check that could not decide because a step was still deferred after its retries; with how far an enumeration got. */
  | { kind: 'deferral'; deferral: Deferral | null; answered?: number; asked?: number }
  /** DANE: the TLSA record that matched, and how many there were. */
  | { kind: 'dane-match'; matched: string; records: number }
  /** Details read back from a JSON report (`report merge`): passed on as they were written. */
  | { kind: 'reported'; json: unknown };
