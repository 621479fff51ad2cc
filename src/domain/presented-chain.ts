/**
 * A trust store that trusts nothing: one self-signed certificate whose private key was
 * thrown away when it was made (2026-12-08, `openssl req -x509`), so no chain can
 * end in it. Node's getPeerCertificate(true) completes a chain the server sent short
 * with issuers from the trust store; a session that trusts only this certificate
 * shows the chain exactly as presented, which is what DANE-TA must match
 * (RFC 7671 §5.2.2: the trust anchor has to be in the server's chain).
 */
export const NO_TRUST_ANCHORS_PEM = `-----BEGIN CERTIFICATE-----
MIIBZTCCAQsCFBLQsymMcjUy+/ua2Yhpu/CRrd+AMAoGCCqGSM49BAMCMDQxMjAw
BgNVBAMMKXNtdHBjaGVjayBubyB0cnVzdCBhbmNob3IgKGtleSBkaXNjYXJkZWQp
MCAXDTI2MTIwODAwNDMyM1oYDzIxMjYxMTE0MDA0MzIzWjA0MTIwMAYDVQQDDClz
bXRwY2hlY2sgbm8gdHJ1c3QgYW5jaG9yIChrZXkgZGlzY2FyZGVkKTBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABCCYP69XYLfseVpMha/ovGGhFHI6ZzfkF7d433in
iUxbSkN0sbuK9GVOh4z31/5aboRlyy52BQ/mT1yRmONNUYQwCgYIKoZIzj0EAwID
SAAwRQIhAJGdgVH/BZtB7tBhKQRLGZyZqFKlL7/c4VpSZ43WT1JmAiBoPvEKHQg+
z1YAP8OzfQmhGsV7ETL/bKYy3dcCvIpOrQ==
-----END CERTIFICATE-----
`;
