import { expect } from 'chai';
import { cidrSubnet, contains, formatCidr, isNonPublicCidr, parseCidr, subnetLayout } from '../../../modules/cidr.js';

describe('infra CIDR arithmetic', () => {
  it('parses and prints IPv4 CIDRs, refusing host bits and out-of-range parts', () => {
    expect(formatCidr(parseCidr('10.40.0.0/16')!)).to.equal('10.40.0.0/16');
    expect(parseCidr('10.40.1.0/16')).to.equal(null);
    expect(parseCidr('10.256.0.0/16')).to.equal(null);
    expect(parseCidr('10.0.0.0/33')).to.equal(null);
    expect(parseCidr('10.0.0.0')).to.equal(null);
  });

  it('computes subnets the way Terraform cidrsubnet() does', () => {
    const vpc = parseCidr('10.40.0.0/16')!;
    expect(formatCidr(cidrSubnet(vpc, 4, 0))).to.equal('10.40.0.0/20');
    expect(formatCidr(cidrSubnet(vpc, 4, 1))).to.equal('10.40.16.0/20');
    expect(formatCidr(cidrSubnet(vpc, 4, 15))).to.equal('10.40.240.0/20');
    expect(formatCidr(cidrSubnet(parseCidr('192.168.0.0/24')!, 4, 9))).to.equal('192.168.0.144/28');
    expect(() => cidrSubnet(vpc, 4, 16)).to.throw(/does not fit/);
  });

  it('lays out one private and one public subnet per AZ, disjoint and inside the VPC', () => {
    const vpc = parseCidr('10.40.0.0/16')!;
    const layout = subnetLayout('10.40.0.0/16', 6);
    const all = [...layout.private, ...layout.public].map((c) => parseCidr(c)!);
    expect(all).to.have.length(12);
    for (const s of all) expect(contains(vpc, s)).to.equal(true);
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        expect(contains(all[i]!, all[j]!) || contains(all[j]!, all[i]!), `${formatCidr(all[i]!)} vs ${formatCidr(all[j]!)}`).to.equal(false);
      }
    }
    expect(subnetLayout('10.40.0.0/16', 3).private).to.deep.equal(['10.40.0.0/20', '10.40.16.0/20', '10.40.32.0/20']);
    expect(subnetLayout('10.40.0.0/16', 1).public).to.deep.equal(['10.40.128.0/20']);
  });

  it('tells private ranges from public ones', () => {
    for (const c of ['10.0.0.0/8', '10.1.2.0/24', '172.16.0.0/12', '172.31.255.0/24', '192.168.1.0/24', '100.64.0.0/10']) {
      expect(isNonPublicCidr(c), c).to.equal(true);
    }
    for (const c of ['0.0.0.0/0', '172.32.0.0/16', '8.8.8.8/32', '10.0.0.0/7', 'not-a-cidr']) {
      expect(isNonPublicCidr(c), c).to.equal(false);
    }
  });
});
