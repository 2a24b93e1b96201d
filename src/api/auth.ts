import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { authenticateToken, type TokenOwner } from '../tokens/tokens.js';
import { ApiProblem, problem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiToken: TokenOwner | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token (the OpenAPI document). */
    public?: boolean;
  }
}

const REALM = 'Bearer realm="bookmarks"';

function unauthorized(detail: string, error?: 'invalid_request' | 'invalid_token'): ApiProblem {
  const challenge = error ? `${REALM}, error="${error}"` : REALM;
  return new ApiProblem(problem(401, detail), { 'WWW-Authenticate': challenge });
}

/** The token's owner from `Authorization: Bearer …`; cookies and query parameters are never consulted. */
export async function authenticateBearer(db: Db, request: FastifyRequest): Promise<TokenOwner> {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('Send a personal access token: Authorization: Bearer <token>.');
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must be: Bearer <token>.', 'invalid_request');
  const owner = await authenticateToken(db, match[1]!);
  if (!owner) throw unauthorized('This token is not valid: it may be mistyped, revoked or expired.', 'invalid_token');
  return owner;
}

/** The authenticated owner's sub, for handlers inside the api plugin. */
export function apiOwner(request: FastifyRequest): string {
  if (!request.apiToken) throw new Error('apiOwner() used outside the api plugin');
  return request.apiToken.ownerSub;
}
