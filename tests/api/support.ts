import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { form, html, SAME_ORIGIN, signIn } from '../helpers.js';

/** Creates a token the way a person does: signed in, through the settings page. Returns the shown-once secret. */
export async function createTokenViaSettings(app: FastifyInstance, cookie: string, name = 'script'): Promise<string> {
  const { payload, headers } = form({ name });
  const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...SAME_ORIGIN, cookie } });
  if (response.statusCode !== 201) throw new Error(`creating a token answered ${response.statusCode}`);
  return html(response.body).querySelector<HTMLInputElement>('#new-token')!.getAttribute('value')!;
}

/** Signs in through the real provider and creates a token for that user. */
export async function userWithToken(app: FastifyInstance, userName: string): Promise<{ cookie: string; token: string; auth: { authorization: string } }> {
  const cookie = await signIn(app, userName);
  const token = await createTokenViaSettings(app, cookie);
  return { cookie, token, auth: { authorization: `Bearer ${token}` } };
}

export function expectProblem(response: LightMyRequestResponse, status: number): Record<string, unknown> {
  if (response.statusCode !== status) throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${response.headers['content-type']}`);
  }
  const body = response.json() as Record<string, unknown>;
  if (body.status !== status || typeof body.title !== 'string' || typeof body.type !== 'string') {
    throw new Error(`not a problem document: ${response.body}`);
  }
  return body;
}
