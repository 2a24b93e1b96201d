import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { fetchOptionsFromConfig } from '../../src/fetch/index.js';

const base = { SESSION_SECRET: 'a'.repeat(64), APP_BASE_URL: 'https://bookmarks.example.com' };

function problemsOf(value: string): string[] {
  try {
    loadConfig({ ...base, FETCH_ALLOW_HOSTS: value });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('FETCH_ALLOW_HOSTS', () => {
  it.each([undefined, '', '  '])('%j allows nothing beyond public addresses', (value) => {
    const config = loadConfig({ ...base, FETCH_ALLOW_HOSTS: value });
    expect(config.fetchAllowHosts).toEqual([]);
  });

  it('reads host and host:port entries, normalised as URLs write hosts, into a frozen list', () => {
    const config = loadConfig({ ...base, FETCH_ALLOW_HOSTS: ' wiki.corp , WIKI.Example.COM:8080,10.0.0.5:80, [FD00:0::5], [::1]:3000,0x7f.1,bücher.corp' });
    expect(config.fetchAllowHosts).toEqual([
      { host: 'wiki.corp', port: null },
      { host: 'wiki.example.com', port: 8080 },
      { host: '10.0.0.5', port: 80 },
      { host: '[fd00::5]', port: null },
      { host: '[::1]', port: 3000 },
      { host: '127.0.0.1', port: null },
      { host: 'xn--bcher-kva.corp', port: null },
    ]);
    expect(Object.isFrozen(config.fetchAllowHosts)).toBe(true);
  });

  it.each([
    'http://wiki.corp',
    'wiki.corp/path',
    'user@wiki.corp',
    'wiki.corp:0',
    'wiki.corp:65536',
    'wiki.corp:http',
    'wiki.corp:',
    'fd00::5',
    '[fd00::5',
    '[wiki.corp]',
    'wiki corp',
    'wiki.corp?x',
    ',',
    'wiki.corp,,other.corp',
    'a..b%00',
  ])('refuses %j with one message that names the bad entry', (value) => {
    const problems = problemsOf(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^FETCH_ALLOW_HOSTS must be a comma-separated list of host or host:port entries/);
  });

  it('names each malformed entry and only those', () => {
    const [problem] = problemsOf('good.corp,http://bad.corp,also-good:81,bad.corp:99999');
    expect(problem).toContain('"http://bad.corp"');
    expect(problem).toContain('"bad.corp:99999"');
    expect(problem).not.toContain('good.corp"');
  });
});

describe('FETCH_SITES', () => {
  it.each([
    [undefined, 'public', false],
    ['', 'public', false],
    ['public', 'public', false],
    [' Allowed ', 'allowed', true],
    ['none', 'none', false],
  ] as const)('%j reads as %s (only the listed hosts: %s)', (value, sites, onlyAllowed) => {
    const config = loadConfig({ ...base, FETCH_SITES: value });
    expect(config.fetchSites).toBe(sites);
    expect(fetchOptionsFromConfig(config).onlyAllowedHosts).toBe(onlyAllowed);
  });

  it.each(['all', 'private', 'true', 'off'])('refuses %j with one clear message', (value) => {
    try {
      loadConfig({ ...base, FETCH_SITES: value });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(['FETCH_SITES must be public (the default), allowed (only FETCH_ALLOW_HOSTS) or none (never fetch pages)']);
    }
  });
});
