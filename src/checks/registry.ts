import { authHiddenPlaintext } from './auth-hidden-plaintext.js';
import { authRefusedPlaintext } from './auth-refused-plaintext.js';
import { authSuccess } from './auth-success.js';
import { authWrongPassword } from './auth-wrong-password.js';
import { certChainTrusted } from './cert-chain-trusted.js';
import { certHostname } from './cert-hostname.js';
import { certValidity } from './cert-validity.js';
import type { CheckDefinition } from './check.js';
import { connGreeting } from './conn-greeting.js';
import { connImplicitTls } from './conn-implicit-tls.js';
import { enumExpn } from './enum-expn.js';
import { enumVrfy } from './enum-vrfy.js';
import { esmtpEhlo } from './esmtp-ehlo.js';
import { relayBang } from './relay-bang.js';
import { relayControl } from './relay-control.js';
import { relayDomainForms } from './relay-domain-forms.js';
import { relayDoubleAt } from './relay-double-at.js';
import { proxyUntrusted } from './proxy-untrusted.js';
import { relayOpenBasic } from './relay-open-basic.js';
import { xclientUntrusted } from './xclient-untrusted.js';
import { relayPercent } from './relay-percent.js';
import { relayQuoted } from './relay-quoted.js';
import { relaySenderForms } from './relay-sender-forms.js';
import { relaySourceRoute } from './relay-source-route.js';
import { smugEod } from './smug-eod.js';
import { spoofLoginMismatchExternal } from './spoof-login-mismatch-external.js';
import { spoofLoginMismatchUser } from './spoof-login-mismatch-user.js';
import { spoofOwnedAlias } from './spoof-owned-alias.js';
import { spoofSubmissionUnauth } from './spoof-submission-unauth.js';
import { starttlsHandshake } from './starttls-handshake.js';
import { starttlsInjection } from './starttls-injection.js';
import { starttlsOffered } from './starttls-offered.js';
import { starttlsRequiredSub } from './starttls-required-sub.js';
import { tlsAnon } from './tls-anon.js';
import { tlsVersions } from './tls-versions.js';

/** Every check, in report order (the order of docs/checks.md#index). Ids are the public contract: docs/checks.md#<id>. */
export const CHECKS: readonly CheckDefinition[] = [
  connGreeting,
  connImplicitTls,
  esmtpEhlo,
  starttlsOffered,
  starttlsHandshake,
  starttlsRequiredSub,
  starttlsInjection,
  authHiddenPlaintext,
  authRefusedPlaintext,
  authSuccess,
  authWrongPassword,
  relayControl,
  relayOpenBasic,
  relaySenderForms,
  relayPercent,
  relayQuoted,
  relayDoubleAt,
  relaySourceRoute,
  relayBang,
  relayDomainForms,
  proxyUntrusted,
  xclientUntrusted,
  spoofLoginMismatchUser,
  spoofLoginMismatchExternal,
  spoofOwnedAlias,
  spoofSubmissionUnauth,
  enumVrfy,
  enumExpn,
  smugEod,
  tlsVersions,
  tlsAnon,
  certChainTrusted,
  certHostname,
  certValidity,
];

export function findCheck(id: string): CheckDefinition | undefined {
  return CHECKS.find((check) => check.id === id);
}

export const RELAY_CHECK_IDS = CHECKS.filter((check) => check.id.startsWith('relay-')).map((check) => check.id);
