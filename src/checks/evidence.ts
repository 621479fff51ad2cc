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
 * Why no TLSA record authenticated a server's chain (src/domain/dane.ts): none
 * matched, or a DANE-TA record matched but the chain below it is not signed through,
 * out of date, or not for the names (RFC 7672 §3.1.2).
 */
export type DaneFailure = 'no-certificate' | 'no-match' | 'ta-chain-broken' | 'ta-out-of-date' | 'ta-name-mismatch';

/**
 * Structured findings for JSON and the commands that tabulate them (relay-test). The
 * JSON shape of each kind is fixed by docs/json.md (render/json-details.ts).
 */
export type CheckDetails =
  /** A relay family's probes, in the order asked (docs/json.md, checks[].details). */
  | { kind: 'relay-probes'; probes: readonly RelayProbeResult[] }
  /** A check that could not decide because a step was still deferred after its retries; with how far an enumeration got. */
  | { kind: 'deferral'; deferral: Deferral | null; answered?: number; asked?: number }
  /** DANE: the TLSA record that matched, how many there were, and the TLSA base domain that held them (RFC 7672 §2.2.2). */
  | { kind: 'dane-match'; matched: string; records: number; baseDomain: string }
  /** DANE: why no TLSA record authenticated the chain (src/domain/dane.ts), among how many, at which base domain. */
  | { kind: 'dane-failure'; reason: DaneFailure; records: number; baseDomain: string }
  /** Details read back from a JSON report (`report merge`): passed on as they were written. */
  | { kind: 'reported'; json: unknown };
