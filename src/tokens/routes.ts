import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import { bookmarkletCode } from '../bookmarks/bookmarklet.js';
import { isFragmentRequest } from '../http/htmx.js';
import { bodyField, parseId } from '../http/params.js';
import { createToken, EXPIRY_CHOICES, expiryDate, isExpiryChoice, listTokens, MAX_TOKENS_PER_USER, revokeToken, TooManyTokensError, validateTokenName, type TokenInfo } from './tokens.js';
import { PRIVATE_CACHE_CONTROL } from '../http/caching.js';
import { NotFoundError } from '../http/errors.js';
import { minuteLabel } from '../english-format.js';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type BodyRequest = FastifyRequest<{ Body: unknown }>;

function toRow(token: TokenInfo, now: Date) {
  const at = (date: Date | null) => (date ? { iso: date.toISOString(), label: `${minuteLabel(date)} UTC` } : null);
  return {
    id: token.id,
    name: token.name,
    created: at(token.createdAt)!,
    lastUsed: at(token.lastUsedAt),
    expires: at(token.expiresAt),
    expired: token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime(),
  };
}

interface PanelState {
  secret?: string;
  createdName?: string;
  name?: string;
  expiry?: string;
  error?: string;
  expiryError?: string;
}

/** Settings: personal access tokens for the JSON API, as one self-contained htmx widget. */
export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireUser);
  const bookmarklet = bookmarkletCode(app.config.appBaseUrl);

  async function render(request: FastifyRequest, reply: FastifyReply, status: number, state: PanelState = {}, fragment = 'partials/token-panel.njk') {
    // The page may hold a secret shown once: never keep a copy in any cache.
    reply.code(status).header('Cache-Control', PRIVATE_CACHE_CONTROL);
    const user = currentUser(request);
    const now = new Date();
    const view = {
      user,
      tokens: (await listTokens(app.db, user.sub)).map((token) => toRow(token, now)),
      expiryChoices: Object.keys(EXPIRY_CHOICES),
      apiBase: new URL('/api/v1', app.config.appBaseUrl).href,
      bookmarklet,
      ...state,
    };
    return reply.viewAsync(isFragmentRequest(request) ? fragment : 'pages/settings.njk', view);
  }

  // Signed out (a session expired, a saved link), the sign-in comes back here rather than to the dashboard.
  app.get('/settings', { config: { returnAfterSignIn: { cuttable: [] } } }, async (request, reply) => render(request, reply, 200));

  app.post('/settings/tokens', async (request: BodyRequest, reply) => {
    const rawName = bodyField(request.body, 'name');
    const expiry = bodyField(request.body, 'expiry') || 'never';
    const result = validateTokenName(rawName);
    // An unknown choice must not fall back to a token that never expires.
    if (!isExpiryChoice(expiry)) {
      return render(request, reply, 422, { name: rawName, error: result.ok ? undefined : result.error, expiryError: 'Choose one of the offered expiry periods.' });
    }
    if (!result.ok) return render(request, reply, 422, { name: rawName, expiry, error: result.error });
    let created;
    try {
      created = await createToken(app.db, currentUser(request).sub, result.name, expiryDate(expiry));
    } catch (error) {
      if (!(error instanceof TooManyTokensError)) throw error;
      const full = `You have ${MAX_TOKENS_PER_USER} tokens, the most one account keeps. Delete the ones you no longer use, expired ones too, then create this one.`;
      return render(request, reply, 422, { name: rawName, expiry, error: full });
    }
    request.log.info({ tokenId: created.token.id }, 'api token created');
    return render(request, reply, 201, { secret: created.secret, createdName: created.token.name });
  });

  /** Revokes the owner's token named by :id; a 404 when there is none (revoked in another tab: its row goes, saying so). */
  async function revoke(request: IdRequest): Promise<void> {
    const id = parseId(request.params.id);
    if (id === null || !(await revokeToken(app.db, currentUser(request).sub, id))) {
      throw new NotFoundError(id === null ? undefined : { elementId: `token-${id}`, message: 'That token is no longer here: it was revoked, perhaps in another tab.' });
    }
    request.log.info({ tokenId: id }, 'api token revoked');
  }

  app.delete('/settings/tokens/:id', async (request: IdRequest, reply) => {
    await revoke(request);
    // The list alone: a token created just before keeps its secret on show.
    return render(request, reply, 200, {}, 'partials/token-list.njk');
  });

  // The same revoke for browsers without JavaScript, which can only GET and POST.
  app.post('/settings/tokens/:id/delete', async (request: IdRequest, reply) => {
    await revoke(request);
    return reply.redirect('/settings', 303);
  });
}
