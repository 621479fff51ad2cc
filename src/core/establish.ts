import { TlsError } from './errors.js';
import type { SessionOptions } from './session.js';
import { SmtpSession } from './session.js';
import type { XclientAttribute } from './xclient.js';
import { verificationFailure, weakKeyWarning } from './tls-session.js';

/**
 * How TLS is used: `none` stays plaintext; `starttls` requires it (never falls back
 * to plaintext: the downgrade attacks in the NO STARTTLS study depend on clients that
 * do); `starttls-optional` uses it when offered; `implicit` starts TLS before the
 * greeting (port 465, RFC 8314 §3.3).
 */
export type TlsMode = 'none' | 'starttls' | 'starttls-optional' | 'implicit';

export interface EstablishOptions extends SessionOptions {
  tlsMode: TlsMode;
  /**
   * false: the certificate is neither enforced nor warned about here, because the
   * caller judges it itself (the cert-* checks). Default true.
   */
  verifyCertificate?: boolean;
  /** Stop early (send --quit-after); see EstablishStop. */
  stopAfter?: EstablishStop;
  /** XCLIENT attributes to send after the EHLO that counts (core/xclient.ts). */
  xclient?: XclientAttribute[];
}

/**
 * Where establishSession may stop, in conversation order: after the greeting; after
 * the first EHLO (the one before STARTTLS); right after the TLS handshake, before the
 * EHLO that follows it (with implicit TLS, after the greeting, which the handshake
 * precedes); after the EHLO that counts (inside TLS when STARTTLS was used). Without
 * TLS, `tls` and `ehlo` both stop after the one EHLO. With XCLIENT, `xclient` stops
 * after its 220, before the EHLO that follows it.
 */
export type EstablishStop = 'greeting' | 'first-ehlo' | 'tls' | 'ehlo' | 'xclient';

/**
 * Connect, greet, EHLO and bring TLS up as the mode demands, verifying the
 * certificate unless the user chose --insecure. The returned session is ready for
 * AUTH or a mail transaction.
 */
export async function establishSession(options: EstablishOptions): Promise<SmtpSession> {
  let session = await SmtpSession.open({ ...options, implicitTls: options.tlsMode === 'implicit' });
  try {
    if (session.tls) enforceVerification(session, options);
    if (options.stopAfter === 'greeting' || (options.stopAfter === 'tls' && session.tls)) return session;
    await session.hello();
    if (options.stopAfter === 'first-ehlo') return session;
    session = await bringUpTls(session, options);
    if (!options.xclient || options.stopAfter === 'tls' || options.stopAfter === 'ehlo') return session;
    // XCLIENT_README: after its 220 the session starts over, so EHLO is asked again.
    await session.xclient(options.xclient);
    if (options.stopAfter !== 'xclient') await session.hello();
    return session;
  } catch (error) {
    await session.quit();
    throw error;
  }
}

/**
 * STARTTLS as the mode asks, after the first EHLO. Returns the session to go on with:
 * the same one, or with --tls-optional after a failed handshake a new plaintext one.
 */
async function bringUpTls(session: SmtpSession, options: EstablishOptions): Promise<SmtpSession> {
  if (options.tlsMode !== 'starttls' && options.tlsMode !== 'starttls-optional') return session;
  if (!session.capabilities?.startTls) {
    if (options.tlsMode === 'starttls') {
      throw new TlsError('starttls', 'starttls-not-offered', 'server does not offer STARTTLS, and TLS is required');
    }
    options.transcript.warn('server does not offer STARTTLS; continuing in plaintext (--tls-optional)');
    return session;
  }
  try {
    await session.startTls({ hello: options.stopAfter !== 'tls' });
  } catch (error) {
    const fallback = options.tlsMode === 'starttls-optional' ? plaintextFallback(error) : null;
    if (fallback === null) throw error;
    options.transcript.warn(`${(error as TlsError).message}; continuing in plaintext (--tls-optional)`);
    if (fallback === 'same-session') return session;
    session.close();
    return plaintextSession(options);
  }
  enforceVerification(session, options);
  return session;
}

/**
 * Whether optional TLS (swaks's -tlso) may go on without it after this failure: a
 * refused STARTTLS leaves the plaintext session as it was (RFC 3207 §4: the server
 * answered, nothing changed), unless the refusal is a 421, which closes it (RFC 5321
 * §3.8); a failed handshake leaves a connection in an unknown state, so a new one is
 * opened. A certificate that does not verify and injected replies are not failures
 * to get past: they are what TLS is there to catch.
 */
function plaintextFallback(error: unknown): 'same-session' | 'reconnect' | null {
  if (!(error instanceof TlsError)) return null;
  if (error.reason === 'starttls-refused') return error.reply?.code === 421 ? null : 'same-session';
  return error.reason === 'tls-handshake' ? 'reconnect' : null;
}

/** A second connection after a failed handshake: greeting and EHLO, never STARTTLS again. */
async function plaintextSession(options: EstablishOptions): Promise<SmtpSession> {
  const session = await SmtpSession.open({ ...options, implicitTls: false });
  try {
    await session.hello();
    return session;
  } catch (error) {
    await session.quit();
    throw error;
  }
}

function enforceVerification(session: SmtpSession, options: EstablishOptions): void {
  if (options.verifyCertificate === false) return;
  // Reported, never fatal: the key is weak, but the session is still encrypted and authenticated.
  const leaf = session.tls?.chain[0];
  const weakKey = leaf ? weakKeyWarning(leaf) : null;
  if (weakKey) options.transcript.warn(weakKey);
  const failure = session.tls ? verificationFailure(session.tls) : null;
  if (!failure) return;
  if (options.tls?.insecure) {
    options.transcript.warn(`${failure}; continuing because of --insecure`);
    return;
  }
  throw new TlsError('tls', 'tls-certificate', failure, { cause: session.tls?.chainVerified ? 'name-mismatch' : 'untrusted', implicit: options.tlsMode === 'implicit' });
}
