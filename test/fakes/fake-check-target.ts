import type { CheckTarget } from '../../src/checks/context.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import type { ConnectionSpec } from '../../src/core/connection-spec.js';
import { DEMO_CA_CERT_PEM } from '../../src/lab/demo-certificates.js';

/** A connection to a scripted server on loopback: trusting the demo CA, with short timeouts. */
export function fakeConnection(port: number, extra: Partial<ConnectionSpec> = {}): ConnectionSpec {
  return {
    host: '127.0.0.1',
    port,
    family: 0,
    tlsMode: 'none',
    tls: { caPem: DEMO_CA_CERT_PEM },
    timeouts: { connectMs: 2000, greetingMs: 1000, commandMs: 1000, dataMs: 1000 },
    heloName: 'smtpcheck.example',
    protocol: 'smtp',
    revealSecrets: false,
    ...extra,
  };
}

/** A check target for a scripted server on loopback: an MX hosting example.org; `connection` changes its connection. */
export function fakeCheckTarget(port: number, { connection, ...extra }: Partial<Omit<CheckTarget, 'connection'>> & { connection?: Partial<ConnectionSpec> } = {}): CheckTarget {
  return {
    connection: fakeConnection(port, connection),
    role: 'mta',
    localDomain: 'example.org',
    localRecipient: 'john@example.org',
    recipientGiven: false,
    foreignDomain: 'example.net',
    foreignDomain2: 'example.com',
    slots: new ConnectionSlots(8),
    ...extra,
  };
}
