import { BlockList, isIP } from 'node:net';
import { ConnectError } from '../core/errors.js';

/**
 * The address ranges a run may contact (docs/domain.md#address-guard). DNS decides
 * where `smtpcheck domain` connects; a guard lets the user bound that: a lab or a CI
 * job to loopback, a mail admin to the networks that are theirs. Every address the
 * run would contact is checked before the first connection, and one outside the
 * ranges stops the run with nothing contacted.
 */

/** One range: an address and its prefix length, in the family of the address. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `127.0.0.0/8`, `::1/128`, or a bare address (a /32 or /128); null when the text is neither. */
export function parseAddressRange(text: string): AddressRange | null {
  const match = /^([^/]+?)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) return null;
  const version = isIP(match[1]!);
  if (version === 0) return null;
  const bits = version === 4 ? 32 : 128;
  const prefix = match[2] === undefined ? bits : Number(match[2]);
  if (prefix > bits) return null;
  return { address: match[1]!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export const formatAddressRange = (range: AddressRange): string => `${range.address}/${range.prefix}`;

/** Something the run would contact: a host name and one of its addresses. */
export interface Destination {
  host: string;
  address: string;
}

export class AddressGuard {
  readonly ranges: readonly AddressRange[];
  private readonly list = new BlockList();

  constructor(ranges: readonly AddressRange[]) {
    if (ranges.length === 0) throw new Error('AddressGuard needs at least one range');
    this.ranges = ranges;
    for (const range of ranges) this.list.addSubnet(range.address, range.prefix, range.family);
  }

  /** IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are judged as the IPv4 address they carry. */
  allows(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** Throws `address-not-allowed` naming every destination outside the ranges; called before anything is contacted. */
  assertAllowed(destinations: readonly Destination[]): void {
    const outside = destinations.filter((destination) => !this.allows(destination.address));
    if (outside.length === 0) return;
    const byHost = new Map<string, string[]>();
    for (const { host, address } of outside) byHost.set(host, [...(byHost.get(host) ?? []), address]);
    const named = [...byHost].map(([host, addresses]) => `${host} → ${addresses.join(', ')}`).join('; ');
    throw new ConnectError('address-not-allowed', `${named}: outside the address ranges this run may contact (${this.ranges.map(formatAddressRange).join(', ')}); nothing was contacted`);
  }
}
