import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * SASL mechanisms for SMTP AUTH (RFC 4954) as pure state machines: no socket, no
 * printing. Each step returns the bytes to send and a redacted description for the
 * transcript, so the secret never has to pass through the event stream.
 */
export interface SaslCredentials {
  user: string;
  /** Password, or the bearer token for XOAUTH2 / OAUTHBEARER. */
  secret: string;
  /** Authorisation identity (act as), rarely used. */
  authzid?: string;
}

export interface SaslStep {
  response: Buffer;
  /** What the transcript shows instead of the bytes, e.g. "<password>". */
  redacted: string;
}

export interface SaslExchange {
  /** Sent with the AUTH command (RFC 4954 §4 initial response), or null. */
  initialResponse: SaslStep | null;
  /** Answer one decoded 334 challenge. */
  /** A promise where the answer takes work off the event loop (SCRAM's key derivation). */
  respond(challenge: Buffer): SaslStep | Promise<SaslStep>;
  /** For mechanisms that authenticate the server too (SCRAM): check the final data. */
  verifyServerFinal?(data: Buffer): boolean;
}

export interface SaslContext {
  host: string;
  port: number;
  /** Injectable for the RFC test vectors; random otherwise. */
  clientNonce?: string;
}

export interface SaslMechanism {
  name: string;
  /** Higher is preferred when smtpcheck picks. Token mechanisms are only ever compared with each other. */
  preference: number;
  usesToken: boolean;
  start(credentials: SaslCredentials, context: SaslContext): SaslExchange;
}

const step = (response: Buffer | string, redacted: string): SaslStep => ({
  response: typeof response === 'string' ? Buffer.from(response, 'utf8') : response,
  redacted,
});

const plain: SaslMechanism = {
  name: 'PLAIN',
  preference: 20,
  usesToken: false,
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd
  start: ({ user, secret, authzid }) => ({
    initialResponse: step(`${authzid ?? ''}\0${user}\0${secret}`, `<credentials for ${user}>`),
    respond: () => step('', '<empty>'),
  }),
};

const login: SaslMechanism = {
  name: 'LOGIN',
  preference: 10,
  usesToken: false,
  // draft-murchison-sasl-login: the server prompts "Username:" then "Password:".
  // Answer by prompt text when it is the usual one, by order otherwise.
  start: ({ user, secret }) => {
    let answered = 0;
    return {
      initialResponse: null,
      respond: (challenge) => {
        const prompt = challenge.toString('utf8').toLowerCase();
        const wantsPassword = prompt.startsWith('password') || (!prompt.startsWith('user') && answered > 0);
        answered += 1;
        return wantsPassword ? step(secret, '<password>') : step(user, `<username ${user}>`);
      },
    };
  },
};

const cramMd5: SaslMechanism = {
  name: 'CRAM-MD5',
  preference: 30,
  usesToken: false,
  // RFC 2195 §2: user SP hex(HMAC-MD5(password, challenge))
  start: ({ user, secret }) => ({
    initialResponse: null,
    respond: (challenge) => {
      const digest = createHmac('md5', secret).update(challenge).digest('hex');
      return step(`${user} ${digest}`, `<CRAM-MD5 response for ${user}>`);
    },
  }),
};

const xoauth2: SaslMechanism = {
  name: 'XOAUTH2',
  preference: 1,
  usesToken: true,
  // Google/Microsoft XOAUTH2: on failure the server sends a 334 JSON error and
  // expects an empty line before its final 5xx.
  start: ({ user, secret }) => ({
    initialResponse: step(`user=${user}\x01auth=Bearer ${secret}\x01\x01`, `<bearer token for ${user}>`),
    respond: () => step('', '<empty: acknowledge error>'),
  }),
};

const oauthBearer: SaslMechanism = {
  name: 'OAUTHBEARER',
  // The standard (RFC 7628) over the vendor form.
  preference: 2,
  usesToken: true,
  // RFC 7628 §3.1; on error (334 with JSON) the client sends a lone %x01 (§3.2.3).
  start: ({ user, secret }, { host, port }) => ({
    initialResponse: step(`n,a=${saslName(user)},\x01host=${host}\x01port=${port}\x01auth=Bearer ${secret}\x01\x01`, `<bearer token for ${user}>`),
    respond: () => step('\x01', '<acknowledge error>'),
  }),
};

/** RFC 5802 §5.1: "=" and "," in a saslname are escaped. */
function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

const derive = promisify(pbkdf2);

/**
 * The most SCRAM iterations smtpcheck will compute for a server. Real servers use
 * thousands (RFC 7677 §4 asks for at least 4096; Dovecot and Cyrus default to 4096,
 * PostgreSQL 4096, MongoDB 15000); a million takes about a second. A server asking
 * for 2^31 would keep the client busy for minutes: above the cap is an error.
 */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

/** A SCRAM exchange the server broke or refused: RFC 5802 §5 (i=, e=, v=). */
class ScramError extends Error {}

function scram(name: string, hash: 'sha1' | 'sha256', preference: number): SaslMechanism {
  return {
    name,
    preference,
    usesToken: false,
    start: ({ user, secret }, context) => {
      // SASLprep (RFC 4013) is approximated by NFKC, which covers the mappings
      // real passwords meet; the prohibited-character checks are the server's job.
      const password = secret.normalize('NFKC');
      const clientNonce = context.clientNonce ?? randomBytes(18).toString('base64');
      const clientFirstBare = `n=${saslName(user)},r=${clientNonce}`;
      let expectedServerSignature: Buffer | null = null;
      const hmac = (key: Buffer, data: string) => createHmac(hash, key).update(data).digest();
      return {
        initialResponse: step(`n,,${clientFirstBare}`, `<SCRAM client-first for ${user}>`),
        respond: async (challenge) => {
          const serverFirst = challenge.toString('utf8');
          if (expectedServerSignature) return step('', '<empty>');
          const fields = parseScramAttributes(serverFirst);
          const error = fields.get('e');
          if (error) throw new ScramError(`server sent SCRAM error e=${error}`);
          const nonce = fields.get('r');
          const salt = fields.get('s');
          const iterations = Number(fields.get('i'));
          if (!nonce || !nonce.startsWith(clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
            throw new ScramError('server sent a malformed SCRAM challenge');
          }
          if (iterations > MAX_SCRAM_ITERATIONS) {
            throw new ScramError(`server asks for ${iterations} SCRAM iterations, more than the ${MAX_SCRAM_ITERATIONS} smtpcheck computes (RFC 7677 §4 asks for 4096)`);
          }
          // Off the event loop: timers, Ctrl-C and other sessions go on meanwhile.
          const saltedPassword = await derive(password, Buffer.from(salt, 'base64'), iterations, hash === 'sha1' ? 20 : 32, hash);
          const clientKey = hmac(saltedPassword, 'Client Key');
          const storedKey = createHash(hash).update(clientKey).digest();
          const clientFinalWithoutProof = `c=biws,r=${nonce}`;
          const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
          const clientSignature = hmac(storedKey, authMessage);
          const proof = Buffer.from(clientKey.map((byte, index) => byte ^ clientSignature[index]!));
          expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
          return step(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, `<SCRAM proof for ${user}>`);
        },
        verifyServerFinal: (data) => {
          const attributes = parseScramAttributes(data.toString('utf8'));
          if (attributes.has('e')) throw new ScramError(`server sent SCRAM error e=${attributes.get('e')}`);
          const verifier = attributes.get('v');
          if (!verifier || !expectedServerSignature) return false;
          const received = Buffer.from(verifier, 'base64');
          return received.length === expectedServerSignature.length && timingSafeEqual(received, expectedServerSignature);
        },
      };
    },
  };
}

function parseScramAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) attributes.set(part.slice(0, 1), part.slice(2));
  }
  return attributes;
}

export const SASL_MECHANISMS: readonly SaslMechanism[] = [
  scram('SCRAM-SHA-256', 'sha256', 50),
  scram('SCRAM-SHA-1', 'sha1', 40),
  cramMd5,
  plain,
  login,
  xoauth2,
  oauthBearer,
];

export function findMechanism(name: string): SaslMechanism | undefined {
  const wanted = name.toUpperCase();
  return SASL_MECHANISMS.find((mechanism) => mechanism.name === wanted);
}

/** The strongest password mechanism both sides support, or null. */
export function chooseMechanism(serverMechanisms: readonly string[], usingToken = false): SaslMechanism | null {
  const offered = new Set(serverMechanisms.map((mech) => mech.toUpperCase()));
  const candidates = SASL_MECHANISMS.filter((mechanism) => offered.has(mechanism.name) && mechanism.usesToken === usingToken);
  return candidates.sort((a, b) => b.preference - a.preference)[0] ?? null;
}
