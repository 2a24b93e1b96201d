/**
 * Signs in through the real authorization code flow over HTTP: the app's
 * /auth/login, the local provider's login form, and back to /auth/callback.
 * Returns the app's session cookie ("session=...").
 */
export async function signInOverHttp(appBase: string, userName: string): Promise<string> {
  const providerCookies = new Map<string, string>();
  const keep = (response: Response): void => {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      providerCookies.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
  };
  const jar = (): string => [...providerCookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const appCookie = (response: Response): string | undefined =>
    response.headers.getSetCookie().find((header) => header.startsWith('session='))?.split(';')[0];

  const login = await fetch(`${appBase}/auth/login`, { redirect: 'manual' });
  const pending = appCookie(login);
  if (login.status !== 302 || !pending) throw new Error(`/auth/login answered ${login.status}`);
  let next = new URL(login.headers.get('location')!);
  for (let hop = 0; hop < 10; hop++) {
    if (next.href.startsWith(`${appBase}/auth/callback`)) {
      const callback = await fetch(next, { redirect: 'manual', headers: { cookie: pending } });
      const session = appCookie(callback);
      if (callback.status !== 303 || !session) throw new Error(`/auth/callback answered ${callback.status}`);
      return session;
    }
    let response = await fetch(next, { redirect: 'manual', headers: { cookie: jar() } });
    keep(response);
    if (response.status === 200 && next.pathname.startsWith('/interaction/')) {
      response = await fetch(new URL(`${next.pathname}/login`, next), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: userName, password: 'anything' }),
      });
      keep(response);
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider answered ${response.status} at ${next.href} without a redirect`);
    next = new URL(location, next);
  }
  throw new Error('too many redirects during sign-in');
}
