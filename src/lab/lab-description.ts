import type { Role } from '../checks/check.js';

/**
 * What a lab (the real Postfix + Dovecot one under test/lab, or the embedded one in
 * src/lab) tells its users: where each service listens, what its role is, and which
 * single flaw it was built with. Tests and the demo read only this shape, so the same
 * assertions run against both labs.
 */
export interface LabService {
  port: number;
  role: Role;
  /** null for a correctly configured service; otherwise the one deliberate flaw. */
  flaw: string | null;
  /** How the service does TLS, when the lab says. */
  tls?: 'starttls' | 'implicit' | 'none';
  /** What stands before the server, when the lab says (postscreen, a policy server, a limit): docs/lab-postfix.md#fronts. */
  front?: string | null;
}

export interface LabUser {
  user: string;
  password: string;
}

export interface LabDescription {
  dir?: string;
  host: string;
  /** The name the server certificate is issued for. */
  hostname: string;
  /** PEM file of the CA that signed the server certificate. */
  caFile?: string;
  /** The same CA as PEM text, for labs that keep it in memory. */
  caPem?: string;
  domain: string;
  foreignDomain: string;
  users: LabUser[];
  alias: { address: string; owner: string };
  maildir?: string;
  postfixVersion?: string;
  services: Record<string, LabService>;
}
