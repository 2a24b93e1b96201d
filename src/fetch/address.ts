import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export type AddressVerdict = { public: true } | { public: false; range: string };

const PUBLIC: AddressVerdict = { public: true };

/**
 * Instance-metadata endpoints. Most already sit in a refused range; Azure's WireServer
 * (168.63.129.16) is ordinary unicast, so it has to be named.
 */
const CLOUD_METADATA = new Set(
  ['169.254.169.254', '169.254.170.2', '168.63.129.16', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254'].map((text) =>
    ipaddr.parse(text).toString(),
  ),
);

/** IANA's global unicast block: everything outside it is reserved, deprecated or special. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
/** RFC 6052's well-known NAT64 prefix; its last 32 bits are the IPv4 address reached. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

function refused(range: string): AddressVerdict {
  return { public: false, range };
}

function v4FromBytes(bytes: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes);
}

/** An IPv6 address that reaches an IPv4 one is judged by that IPv4 address, prefixed with how it was hidden. */
function embedded(how: string, inner: ipaddr.IPv4): AddressVerdict {
  const verdict = classify(inner);
  return verdict.public ? PUBLIC : refused(`${how}:${verdict.range}`);
}

function classifyV6(address: ipaddr.IPv6): AddressVerdict {
  const bytes = address.toByteArray();
  const range = address.range();
  switch (range) {
    case 'ipv4Mapped':
      return embedded('ipv4Mapped', address.toIPv4Address());
    case 'rfc6052':
      // 64:ff9b:1::/48 is for local NAT64 deployments only: refused outright.
      return address.match(NAT64_WELL_KNOWN) ? embedded('nat64', v4FromBytes(bytes.slice(12, 16))) : refused('rfc6052');
    case '6to4':
      return embedded('6to4', v4FromBytes(bytes.slice(2, 6)));
    case 'teredo': {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, the client address stored inverted.
      const server = embedded('teredo', v4FromBytes(bytes.slice(4, 8)));
      return server.public ? embedded('teredo', v4FromBytes(bytes.slice(12, 16).map((b) => b ^ 0xff))) : server;
    }
    case 'unicast':
      return address.match(GLOBAL_UNICAST_V6) ? PUBLIC : refused('reserved');
    default:
      return refused(range);
  }
}

function classify(address: Address): AddressVerdict {
  if (CLOUD_METADATA.has(address.toString())) return refused('cloudMetadata');
  if (address.kind() === 'ipv6') return classifyV6(address as ipaddr.IPv6);
  const range = (address as ipaddr.IPv4).range();
  return range === 'unicast' ? PUBLIC : refused(range);
}

/**
 * Whether the fetcher may connect to this address: public unicast only. Takes the
 * textual address a resolver or the URL parser produced (dotted quad or IPv6, no
 * brackets); anything else is refused rather than guessed at.
 */
export function classifyAddress(text: string): AddressVerdict {
  if (isIP(text) === 0) return refused('invalid');
  return classify(ipaddr.parse(text));
}
