/**
 * IP addresses as the octets binary protocols carry (PROXY protocol v2, SOCKS5), in
 * network order. Callers pass addresses node:net's isIPv4/isIPv6 accepted.
 */

export function ipv4Octets(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** The 16 octets of an IPv6 address, '::' and a dotted IPv4 tail included (RFC 4291 §2.2). */
export function ipv6Octets(address: string): Buffer {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const octets = Buffer.alloc(16);
  groups.forEach((group, index) => octets.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return octets;
}
