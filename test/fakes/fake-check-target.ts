import type { CheckTarget } from '../../src/checks/context.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import { DEMO_CA_CERT_PEM } from '../../src/lab/demo-certificates.js';

/** A check target for a scripted server on loopback: an MX hosting example.org, trusting the demo CA, with short timeouts. */
export function fakeCheckTarget(port: number, extra: Partial<CheckTarget> = {}): CheckTarget {
  return {
    host: '127.0.0.1',
    port,
    role: 'mta',
    heloName: 'smtpcheck.example',
    tls: { caPem: DEMO_CA_CERT_PEM },
    timeouts: { connectMs: 2000, greetingMs: 1000, commandMs: 1000, dataMs: 1000 },
    localDomain: 'example.org',
    localRecipient: 'john@example.org',
    recipientGiven: false,
    foreignDomain: 'example.net',
    foreignDomain2: 'example.com',
    slots: new ConnectionSlots(8),
    ...extra,
  };
}
