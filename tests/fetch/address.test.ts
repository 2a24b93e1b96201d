import { describe, expect, it } from 'vitest';
import { checkTarget, classifyAddress, describeFetchFailure, type FetchFailure } from '../../src/fetch/index.js';
import { resolverFrom } from './servers.js';

// Only classification and checkTarget here: nothing in this file opens a connection.

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.0.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['169.254.169.254', 'cloudMetadata'],
    ['169.254.170.2', 'cloudMetadata'],
    ['168.63.129.16', 'cloudMetadata'],
    ['100.100.100.200', 'cloudMetadata'],
    ['192.0.0.192', 'cloudMetadata'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'cloudMetadata'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['::7f00:1', 'reserved'],
    ['::ffff:127.0.0.1', 'ipv4Mapped:loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped:loopback'],
    ['0:0:0:0:0:ffff:a00:1', 'ipv4Mapped:private'],
    ['::ffff:169.254.169.254', 'ipv4Mapped:cloudMetadata'],
    ['64:ff9b::a00:1', 'nat64:private'],
    ['64:ff9b::127.0.0.1', 'nat64:loopback'],
    ['64:ff9b:1::808:808', 'rfc6052'],
    ['2002:7f00:1::', '6to4:loopback'],
    ['2002:a9fe:a9fe::1', '6to4:cloudMetadata'],
    // Teredo: server 8.8.8.8, client 10.0.0.1 stored inverted (f5ff:fffe).
    ['2001:0:808:808::f5ff:fffe', 'teredo:private'],
    ['2001:0:a00:1::f7f7:f7f7', 'teredo:private'],
    ['not an address', 'invalid'],
    ['127.1', 'invalid'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ public: false, range });
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:808:808::f7f7:f7f7',
  ])('allows the public address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ public: true });
  });
});

describe('checkTarget on URLs as the WHATWG parser normalises them', () => {
  const signal = new AbortController().signal;
  const check = (url: string, options = {}): ReturnType<typeof checkTarget> => checkTarget(new URL(url), options, signal);

  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://①②⑦.0.0.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[::1]:8080/', '::1'],
    ['http://[::]/', '::'],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', '::ffff:a9fe:a9fe'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254'],
    ['https://10.1.2.3/', '10.1.2.3'],
    ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe'],
  ])('refuses %s (the address %s) without resolving anything', async (url, address) => {
    const resolver = resolverFrom({});
    const result = await check(url, { resolver });
    expect(result).toMatchObject({ ok: false, reason: 'blocked', why: 'address', address });
    expect(resolver.calls).toEqual([]);
  });

  it.each([
    ['http://example.test/', ['127.0.0.1']],
    ['http://example.test/', ['::1']],
    ['http://example.test/', ['93.184.215.14', '10.0.0.1']],
    ['http://example.test/', ['2606:4700:4700::1111', 'fd00::1']],
    ['http://example.test/', ['93.184.215.14', '::ffff:192.168.0.1']],
    ['http://metadata.google.internal/', ['169.254.169.254']],
    ['http://localhost/', ['127.0.0.1', '::1']],
  ])('refuses %s when any answer (%j) is not public', async (url, answers) => {
    const hostname = new URL(url).hostname;
    const result = await check(url, { resolver: resolverFrom({ [hostname]: answers }) });
    expect(result).toMatchObject({ ok: false, reason: 'blocked', why: 'address' });
  });

  it.each([
    ['http://8.8.8.8/', [], ['8.8.8.8']],
    ['https://[2606:4700:4700::1111]/', [], ['2606:4700:4700::1111']],
    ['http://example.test:8080/path?q', ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']],
  ])('allows %s and pins the checked addresses', async (url, answers, addresses) => {
    const resolver = resolverFrom({ 'example.test': answers });
    const result = await check(url, { resolver });
    expect(result).toEqual({ ok: true, url: new URL(url), addresses });
  });

  it.each(['ftp://example.test/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'javascript:alert(1)', 'data:text/html,<title>x</title>', 'ws://example.test/'])(
    'refuses the scheme of %s before resolving',
    async (url) => {
      const resolver = resolverFrom({ 'example.test': ['93.184.215.14'] });
      expect(await check(url, { resolver })).toMatchObject({ ok: false, reason: 'blocked', why: 'scheme' });
      expect(resolver.calls).toEqual([]);
    },
  );

  it.each(['http://user:pass@example.test/', 'http://user@example.test/', 'https://:secret@example.test/'])('refuses credentials in %s', async (url) => {
    const resolver = resolverFrom({ 'example.test': ['93.184.215.14'] });
    expect(await check(url, { resolver })).toMatchObject({ ok: false, reason: 'blocked', why: 'credentials' });
    expect(resolver.calls).toEqual([]);
  });

  it('lets FETCH_ALLOW_HOSTS open exactly the listed host and port, and nothing else', async () => {
    const allowHosts = [
      { host: 'wiki.corp', port: 8080 },
      { host: '10.0.0.5', port: null },
    ];
    const resolver = resolverFrom({ 'wiki.corp': ['10.0.0.7'], 'other.corp': ['10.0.0.7'] });
    expect(await check('http://wiki.corp:8080/', { allowHosts, resolver })).toMatchObject({ ok: true, addresses: ['10.0.0.7'] });
    expect(await check('https://wiki.corp:8080/', { allowHosts, resolver })).toMatchObject({ ok: true });
    expect(await check('http://wiki.corp/', { allowHosts, resolver })).toMatchObject({ reason: 'blocked', why: 'address' });
    expect(await check('http://other.corp:8080/', { allowHosts, resolver })).toMatchObject({ reason: 'blocked', why: 'address' });
    expect(await check('http://10.0.0.5:1234/', { allowHosts })).toMatchObject({ ok: true, addresses: ['10.0.0.5'] });
    expect(await check('http://0xa000005/', { allowHosts })).toMatchObject({ ok: true, addresses: ['10.0.0.5'] });
    expect(await check('http://10.0.0.6/', { allowHosts })).toMatchObject({ reason: 'blocked', why: 'address' });
    // Still http(s) only, and still no credentials.
    expect(await check('ftp://wiki.corp:8080/', { allowHosts, resolver })).toMatchObject({ reason: 'blocked', why: 'scheme' });
    expect(await check('http://u:p@wiki.corp:8080/', { allowHosts, resolver })).toMatchObject({ reason: 'blocked', why: 'credentials' });
  });

  it('reports a name that does not resolve as a network error', async () => {
    expect(await check('http://missing.test/', { resolver: resolverFrom({}) })).toEqual({ ok: false, reason: 'network_error', code: 'ENOTFOUND' });
    expect(await check('http://empty.test/', { resolver: resolverFrom({ 'empty.test': [] }) })).toEqual({ ok: false, reason: 'network_error', code: 'ENOTFOUND' });
  });
});

describe('describeFetchFailure', () => {
  it('tells the user why without naming the address or range that was refused', () => {
    const blocked: FetchFailure = { ok: false, reason: 'blocked', why: 'address', url: 'http://wiki.corp/', address: '10.0.0.7', range: 'private' };
    const message = describeFetchFailure(blocked);
    expect(message).toMatch(/public/);
    expect(message).not.toMatch(/10\.0\.0\.7|private|wiki/);
    expect(describeFetchFailure({ ok: false, reason: 'http_error', status: 404 })).toContain('404');
  });
});
