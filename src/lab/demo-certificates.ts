/**
 * The embedded lab's TLS identity: a demo CA and a server certificate for
 * mail.example.org, so STARTTLS and implicit TLS verify like they would against a real
 * server, with nothing to install.
 *
 * The server's private key is published here ON PURPOSE. The lab is a demo that listens
 * on loopback; anyone who reads this file can impersonate "mail.example.org" to a client
 * that trusts this CA, so trust it only for the lab (pass it with --tls-ca, never add it
 * to a system store). The CA's own key was thrown away after signing, so no further
 * certificate can be issued under it.
 *
 * Made on 2026-11-24 with OpenSSL 3.0, RSA 2048, valid 7305 days (20 years). To
 * regenerate, run in an empty directory and paste ca.pem, server.pem and server.key below:
 *
 *   openssl req -x509 -newkey rsa:2048 -noenc -days 7305 -config /dev/null \
 *     -subj "/O=smtpcheck/CN=smtpcheck demo CA (public key, loopback only)" \
 *     -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
 *     -addext "subjectKeyIdentifier=hash" -keyout ca.key -out ca.pem
 *   openssl req -x509 -newkey rsa:2048 -noenc -days 7305 -config /dev/null \
 *     -CA ca.pem -CAkey ca.key -subj "/O=smtpcheck/CN=mail.example.org" \
 *     -addext "subjectAltName=DNS:mail.example.org,DNS:localhost,IP:127.0.0.1,IP:::1" \
 *     -addext "basicConstraints=critical,CA:FALSE" \
 *     -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
 *     -addext "extendedKeyUsage=serverAuth" -keyout server.key -out server.pem
 *   rm ca.key
 */

/** The demo CA that signed the server certificate: what a client passes as its trust anchor. */
export const DEMO_CA_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDaDCCAlCgAwIBAgIUEDUqGGN4rYBbWmeGZuL7p2B3UX8wDQYJKoZIhvcNAQEL
BQAwTDESMBAGA1UECgwJc210cGNoZWNrMTYwNAYDVQQDDC1zbXRwY2hlY2sgZGVt
byBDQSAocHVibGljIGtleSwgbG9vcGJhY2sgb25seSkwHhcNMjYxMTI0MTYwODM3
WhcNNDYxMTI0MTYwODM3WjBMMRIwEAYDVQQKDAlzbXRwY2hlY2sxNjA0BgNVBAMM
LXNtdHBjaGVjayBkZW1vIENBIChwdWJsaWMga2V5LCBsb29wYmFjayBvbmx5KTCC
ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALskfUkIRomLV2ze/nPbfAuW
Qv5nbV9YwrXblQ/EoFghkbBZOelcIGgFrKWSTOWEihHX29kMaVh96mdfleW/DSGS
kSMls1ygSm/SJaIvjremhjtJ17cm/n+9bTg+w+6qHZGwLtH4o/QGa4P5bstU+EZT
ZX8FiJnMJhvURwXqnL6jsv5HDr3qho65Of7Viof6Ig7p+dSdAjJz5mqHUBAiNobG
9+Ajpt4Egal4Goxq/puqFdBZpcVkUDJnnNuq9mdKyaj4ICDhQFl9tWyD4OsA2bfI
nHU3zyjCkoJxnIwMgkF3NfgpgGn7AprGIM/5KjRQt4QLhlp4NdNbnUWbPLUs3XMC
AwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0O
BBYEFMpire4ydpKEDUOv4m/XfI4DgdhYMA0GCSqGSIb3DQEBCwUAA4IBAQANdeM8
IkgakTkMCk46x/r77USYo4BrymPxpoXn7nn4w8PU+EwynflROeufY8y0dkZ5Pdbh
g4OI6AtPNYxRdC+noCMXhjntQ6yJ/NO8QB4WTf0QR9FxnYa5GxEn2TbHkwQZspVs
Zdnyk3FfAkOdHZiNBfaMcSsUtXGok1jmKhaQnPnA4SeZnnnTPCbExN3HzHUqMg4w
H/ZpOF6pzxZgV161doG5ypxLjbGZQK2fllhgICcQ7h1d4qJANaVH3Vsvzn8p+hb0
IPnLJ32Qge6ybk5CbOA5aLIwbXTb/ekLnaTrLbRPBDwwDU9gPxoSYUO/XSd+kuTo
th2okL2sbh2VREZP
-----END CERTIFICATE-----
`;

/** The server certificate for mail.example.org (also localhost, 127.0.0.1 and ::1). */
export const DEMO_SERVER_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDwDCCAqigAwIBAgIUc7f3EGeLlHbwft+MQzBQKJtvkokwDQYJKoZIhvcNAQEL
BQAwTDESMBAGA1UECgwJc210cGNoZWNrMTYwNAYDVQQDDC1zbXRwY2hlY2sgZGVt
byBDQSAocHVibGljIGtleSwgbG9vcGJhY2sgb25seSkwHhcNMjYxMTI0MTYwODM4
WhcNNDYxMTI0MTYwODM4WjAvMRIwEAYDVQQKDAlzbXRwY2hlY2sxGTAXBgNVBAMM
EG1haWwuZXhhbXBsZS5vcmcwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB
AQDF73sMjg20SVv4yRluo4hEezWhRjzKvr+zvh5VNgr7Us39abe1QAjWhvcNMPN3
8nqGQxueHeXr/ruspc/S0iixD1712uk6k5oTrgKBu3ivQh59L7ALv58C0nTZ93G/
XCDRtezGbL3PCqOSJkSETaEh+MdwNPldCKi5uFMWvDRMciFmDJgbXv26x4Ti/M0B
+zeIk/6MVN5d5fioyU6EetaDZ4RhvbRKEPyRpRjH8rWghUnx3uFRKrn4Bh3Of8N2
fchb2I6DQ64bviwBlXTJF0CLPYwhddLGJ3jamrL4754KtOS6yeUCkvtOh1IxCLPn
QQ4LWrJfDnYeTEnvUgm9OU1rAgMBAAGjgbYwgbMwPgYDVR0RBDcwNYIQbWFpbC5l
eGFtcGxlLm9yZ4IJbG9jYWxob3N0hwR/AAABhxAAAAAAAAAAAAAAAAAAAAABMAwG
A1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgWgMBMGA1UdJQQMMAoGCCsGAQUFBwMB
MB0GA1UdDgQWBBR6RCCc9p4BkeA1Ub44X5MjV9JNGTAfBgNVHSMEGDAWgBTKYq3u
MnaShA1Dr+Jv13yOA4HYWDANBgkqhkiG9w0BAQsFAAOCAQEAB9Lwa+f0/VWFQIh0
iyQMCOfse89UiRJB9iaufOSvtVY5Pm8cP+V7qSKuOmgMe7ZNOCtBvk0iuufhHSbs
8jMv/SxRvE++v6LSVDBBvr6OsU4jQl9FRLEU0PLesoMom8Boe7ZtYP+fuYPo8+g3
kd4SOvKJxTQevC+GDgcPNsPbVbB95qOllqAUHMwZv6bnFo4wW0kkvQPLxtGZ7+zX
8dh33+qi81Xc0nL8fZr9cC/WHXvJbgLn20+xu0LKfWNyTbkDXIIBz6ad5BIzKA/T
iOwS4j73yWGcbARiwFwoZyWhaCtsx1EPcke+ydX1b4jf+tzllAfWP0Z+HipkVY9/
qldGCQ==
-----END CERTIFICATE-----
`;

/** The server certificate's private key. Public by design: see the note at the top of this file. */
export const DEMO_SERVER_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDF73sMjg20SVv4
yRluo4hEezWhRjzKvr+zvh5VNgr7Us39abe1QAjWhvcNMPN38nqGQxueHeXr/rus
pc/S0iixD1712uk6k5oTrgKBu3ivQh59L7ALv58C0nTZ93G/XCDRtezGbL3PCqOS
JkSETaEh+MdwNPldCKi5uFMWvDRMciFmDJgbXv26x4Ti/M0B+zeIk/6MVN5d5fio
yU6EetaDZ4RhvbRKEPyRpRjH8rWghUnx3uFRKrn4Bh3Of8N2fchb2I6DQ64bviwB
lXTJF0CLPYwhddLGJ3jamrL4754KtOS6yeUCkvtOh1IxCLPnQQ4LWrJfDnYeTEnv
Ugm9OU1rAgMBAAECggEADYJn2paDdu+e2F8ZXkTJEyt5oJVDpu7X9LOgLF6w5zBi
oM4rXLKPJ900VXEm3OPu2uUPqH4P6EiNlJ4IjjIL1vHeoFcdngLe/ELfJu2dshCI
NjEgCd09RBsLIKlT2SS3lLie/XgEiHIIcfwspv8JZWEuc4kaD/B8W5iqCx4zT5hH
nqF6b8WVHiam64YsTefkc4IeL0rbL5NnrTrVXMeSOuv5pOX1vWER6A3UwJykDzlt
SITOciO9HcYA9oe68OJA691bXkA7Q+3S0J0O65tKwfwdgXUk8idVV/U8PFxbtB/O
YEvWItXDpTFzf51OnryjicjE2ounOkOJrt4XUDFf+QKBgQD9tRE17Hf2k+Dw/VQc
XagqUhrPpaSxE4xnh86Vv7ypAxhBU5WFCmfkGmuEB62BswXu7jO1ZpGj8F/A79Rg
UOf/RXjT+N7td8hmvPR+4dBpQ1SoRLDwFDgwl9e2IeFwHrEmFqrf1vmyqIJnbjV2
VG8xZJZ07XilsLzpctSsadfELwKBgQDHuWO20MEW2U6QkUsRXCSsS6yJwzOrWTJK
hmxLP4KKiF4cJQPrhgKIhPnHNF9DKMMlj/8/b4m7sCKDwdeLLJ0QrZ943EI2Pl4e
o9A0MPrQzDzvrTqlfydXaSGjhgmng06/YRcKSGRuT06JD9BO6ZGwVFWhd7y+v3kP
MXiamvBvhQKBgCMZqO7n71Tq8qUEt11RS9HHGDSAOz/Qb41nSZqIM2bCqdln4fjN
DsCNMzDKCyQ1i22aAQdo0F95AxZjV+OXbfFwQB47gUQjXVNxcvYW8cmOaij5j+03
LuryJwLovxLO/D1Dx5I+YL9p9tiuc7EST2vq+bHlpNpvkENQAsJzxkk7AoGABMdK
u3UDKajJWGwhf6jUt8qXtjQVaGQZ7+6HaMV8OhRJLCM2lMwAA4Qq9bkrDlBLWvq3
AK2KfhMYwE5C+fF3UI7W4e1jKCkV12XT9Wu2lIhObO2YGZ2RM2Ywh9kNIhTiLXIF
OxnATWNYXa8jLMAp3C4oXlSfD3FFVDe6yvgqCIECgYBUNmssQsM2yqaosRpgmxqR
1hRhgHtE+LgmAL4HSXb0ekEl9V/Pq2Oj68yrcGt0w00gzcvCdUY1zOijU29Ob17o
GnuoHBOwkKeWcJQFfnlNYvx4fDPInXXu/EyYL7VbvrXMA2Yb29cdaaL08/grr+OR
kQBMSi563rix7wiRgW23LQ==
-----END PRIVATE KEY-----
`;
