/**
 * The client address that proxy-untrusted (in its PROXY header) and xclient-untrusted
 * (as XCLIENT ADDR=) claim to come from: loopback, which a default mynetworks trusts
 * (Postfix: mynetworks_style = host, postconf(5)). A server that believes the claim
 * treats an untrusted client as itself (docs/checks.md#proxy-untrusted,
 * docs/checks.md#xclient-untrusted).
 */
export const CLAIMED_CLIENT_ADDRESS = '127.0.0.1';
