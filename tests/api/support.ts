import type { LightMyRequestResponse } from 'fastify';
import { as, html, type AppContext } from '../helpers.js';

/** Creates a token the way a person does: signed in, through the settings page. Returns the shown-once secret. */
export async function createTokenViaSettings(ctx: AppContext, userName: string, name = 'script'): Promise<string> {
  const response = await as(ctx, userName).post('/settings/tokens', { name });
  if (response.statusCode !== 201) throw new Error(`creating a token answered ${response.statusCode}`);
  return html(response.body).querySelector<HTMLInputElement>('#new-token')!.getAttribute('value')!;
}

/** A token created through the settings page by a signed-in user, and the header that sends it. */
export async function userWithToken(ctx: AppContext, userName: string): Promise<{ token: string; auth: { authorization: string } }> {
  const token = await createTokenViaSettings(ctx, userName);
  return { token, auth: { authorization: `Bearer ${token}` } };
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
