/**
 * IPv4 CIDR arithmetic for the network layout, done at synth time so that the subnet
 * ranges are plain values in the Terraform (readable in a plan, testable here) rather
 * than `cidrsubnet()` calls.
 *
 * Layout of a VPC split into 16 equal blocks (4 more prefix bits):
 *   blocks 0..5   private subnets, one per AZ (brokers, ZooKeeper, services)
 *   blocks 8..13  public subnets, one per AZ (only NAT gateways live there)
 * The gaps leave room for a later tier without renumbering.
 */

export const PRIVATE_SUBNET_BITS = 4;
export const MAX_AZS = 6;
const PUBLIC_BLOCK_OFFSET = 8;

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; null when it is not a well-formed IPv4 CIDR with host bits zero. */
export function parseCidr(text: string): Cidr | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return null;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (32 - prefix) !== 0) return null;
  return { base, prefix };
}

export function formatCidr(cidr: Cidr): string {
  const o = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return `${o.join('.')}/${cidr.prefix}`;
}

/** Terraform's `cidrsubnet(prefix, newbits, netnum)`. */
export function cidrSubnet(parent: Cidr, newBits: number, netNum: number): Cidr {
  const prefix = parent.prefix + newBits;
  if (prefix > 32) throw new Error(`cannot add ${newBits} bits to /${parent.prefix}`);
  if (netNum < 0 || netNum >= 2 ** newBits) throw new Error(`subnet number ${netNum} does not fit in ${newBits} bits`);
  return { base: parent.base + netNum * 2 ** (32 - prefix), prefix };
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  if (inner.prefix < outer.prefix) return false;
  const size = 2 ** (32 - outer.prefix);
  return inner.base >= outer.base && inner.base < outer.base + size;
}

/** RFC 1918 and the shared address space: ranges that are never routed on the internet. */
const NON_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((c) => parseCidr(c)!);

export function isNonPublicCidr(text: string): boolean {
  const cidr = parseCidr(text);
  return cidr !== null && NON_PUBLIC.some((range) => contains(range, cidr));
}

export interface SubnetLayout {
  readonly private: readonly string[];
  readonly public: readonly string[];
}

export function subnetLayout(vpcCidr: string, azCount: number): SubnetLayout {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new Error(`not an IPv4 CIDR: ${vpcCidr}`);
  if (azCount < 1 || azCount > MAX_AZS) throw new Error(`azCount must be 1..${MAX_AZS}, got ${azCount}`);
  const azs = [...Array(azCount).keys()];
  return {
    private: azs.map((i) => formatCidr(cidrSubnet(vpc, PRIVATE_SUBNET_BITS, i))),
    public: azs.map((i) => formatCidr(cidrSubnet(vpc, PRIVATE_SUBNET_BITS, PUBLIC_BLOCK_OFFSET + i))),
  };
}
