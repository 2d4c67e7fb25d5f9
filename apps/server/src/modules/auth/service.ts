import { randomUUID } from 'node:crypto';
import type { AuthResponse, LoginBody, SignupBody } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, forbidden, rateLimited, unauthenticated } from '../../lib/domain-error.ts';
import { windowEndsAt, type RateLimitStore } from '../../lib/rate-limit.ts';
import { findUserById, findUserBySiteId, insertUser, toUser, type UserRow } from '../users/repo.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import * as repo from './repo.ts';
import { createSessionChecker } from './session-check.ts';
import {
  ACCESS_TOKEN_TTL_S,
  REFRESH_TOKEN_TTL_S,
  hashRefreshToken,
  newRefreshToken,
  type AccessClaims,
  type TokenSigner,
} from './tokens.ts';

/** A verified token of a live session, with the dashboard versions read in the same query. */
export interface AuthenticatedCaller extends AccessClaims {
  versions: { state: number; content: number };
}

export interface LoginLimits {
  windowMs: number;
  perHandle: number;
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perHandle: 5, perAddress: 30 };

/**
 * Work other modules add to a signup, inside its transaction (the signup bonus, the outbox), with
 * the time and the trace of the request.
 */
export type SignupHook = (trx: Db, user: UserRow, at: RequestMoment) => Promise<void>;
export type LoginHook = (trx: Db, user: UserRow, at: RequestMoment) => Promise<void>;
/** Runs in every transaction that signs a player in: signup, login and refresh (after the others). */
export type SignInHook = (trx: Db, user: UserRow, at: RequestMoment) => Promise<void>;
/** When a request made its change and under which trace: what its analytics events carry. */
export interface RequestMoment {
  now: Date;
  traceId: string | undefined;
}

export interface AuthServiceDeps {
  db: Db;
  clock: Clock;
  signer: TokenSigner;
  rateLimits: RateLimitStore;
  loginLimits?: LoginLimits;
  onSignup?: SignupHook[];
  onLogin?: LoginHook[];
  onSignIn?: SignInHook[];
}

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, signer, rateLimits } = deps;
  const limits = deps.loginLimits ?? DEFAULT_LOGIN_LIMITS;
  const checkSession = createSessionChecker(db);

  /** Opens a session (a refresh family) and issues its first token pair. */
  async function openSession(trx: Db, user: UserRow, now: Date): Promise<AuthResponse> {
    const sessionId = randomUUID();
    await repo.insertSession(trx, { id: sessionId, user_id: user.id, created_at: now });
    return issuePair(trx, user, sessionId, now);
  }

  async function issuePair(trx: Db, user: UserRow, sessionId: string, now: Date): Promise<AuthResponse> {
    const refresh = newRefreshToken();
    await repo.insertRefreshToken(trx, {
      token_hash: refresh.hash,
      session_id: sessionId,
      issued_at: now,
      expires_at: new Date(now.getTime() + REFRESH_TOKEN_TTL_S * 1000),
    });
    return {
      user: toUser(user),
      access_token: await signer.sign({ userId: user.id, role: user.role, sessionId }, now),
      refresh_token: refresh.token,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_S,
    };
  }

  const handleKey = (siteId: string) => `login:handle:${siteId.toLowerCase()}`;
  const addressKey = (ip: string) => `login:ip:${ip}`;

  return {
    /** Creates a player, grants the signup bonus and logs them in, all in one transaction. */
    async signup(body: SignupBody, traceId?: string): Promise<AuthResponse> {
      const passwordHash = await hashPassword(body.password);
      const now = clock.now();
      return db.transaction().execute(async (trx) => {
        const user = await insertUser(trx, {
          site_id: body.site_id,
          nickname: body.nickname,
          password_hash: passwordHash,
          created_at: now,
        });
        if (!user) throw new DomainError('SITE_ID_TAKEN', `site_id "${body.site_id}" is taken`);
        for (const hook of deps.onSignup ?? []) await hook(trx, user, { now, traceId });
        for (const hook of deps.onSignIn ?? []) await hook(trx, user, { now, traceId });
        return openSession(trx, user, now);
      });
    },

    /**
     * Logs in. Unknown handle and wrong password fail alike; failures count per handle and per
     * address, and past either limit every attempt is refused until the window ends. An attempt
     * counts from before its password is checked, so guesses sent at once cannot all slip under
     * the limit; the session opens only if the player is still not suspended as it commits.
     */
    async login(body: LoginBody, ip: string, traceId?: string): Promise<AuthResponse> {
      const nowMs = clock.now().getTime();
      const byHandle = handleKey(body.site_id);
      const byAddress = addressKey(ip);
      // The attempt is counted before its password is checked, in one atomic step per counter:
      // guesses sent together would otherwise all read the count as it stood before any of them
      // failed. A slot is held while the check runs; it stays taken if the password is wrong and
      // is given back otherwise, so the counts are failures plus attempts still in flight.
      const [handleCount, addressCount] = await Promise.all([
        rateLimits.hit(byHandle, limits.windowMs, nowMs),
        rateLimits.hit(byAddress, limits.windowMs, nowMs),
      ]);
      const giveBack = () =>
        Promise.allSettled([rateLimits.release(byHandle, limits.windowMs, nowMs), rateLimits.release(byAddress, limits.windowMs, nowMs)]);
      if (handleCount > limits.perHandle || addressCount > limits.perAddress) {
        // A refused attempt checked no password: it is not a failure, and counting it would let a
        // locked handle run its address's count up (or the other way round).
        await giveBack();
        // Both counters share the window, so the handle and the address may try again when it
        // ends; whole seconds, rounded up, so a client waiting that long is never early.
        const endsAt = windowEndsAt(limits.windowMs, nowMs);
        const retryAfterS = Math.max(1, Math.ceil((endsAt - nowMs) / 1000));
        throw rateLimited(`too many failed logins; try again in ${retryAfterS} s (at ${new Date(endsAt).toISOString()})`, retryAfterS);
      }
      let user: UserRow | undefined;
      let passwordOk: boolean;
      try {
        user = await findUserBySiteId(db, body.site_id);
        passwordOk = await verifyPassword(user?.password_hash, body.password);
      } catch (err) {
        // Not a wrong password (the database or the hasher failed): nothing to count.
        await giveBack();
        throw err;
      }
      if (!passwordOk || !user) throw unauthenticated('wrong site_id or password');
      // The right password: the handle's failures are forgiven, and this attempt's address slot is
      // given back (the address counts failures only, so a shared address is not locked by logins).
      await Promise.all([
        rateLimits.reset(byHandle, limits.windowMs, nowMs),
        rateLimits.release(byAddress, limits.windowMs, nowMs),
      ]);
      // Said only to whoever knows the password: a wrong one is refused as for any handle.
      if (user.suspended_at) throw forbidden('this account is suspended');
      const now = clock.now();
      const signedIn = user;
      return db.transaction().execute(async (trx) => {
        for (const hook of deps.onLogin ?? []) await hook(trx, signedIn, { now, traceId });
        for (const hook of deps.onSignIn ?? []) await hook(trx, signedIn, { now, traceId });
        // The suspension above was read before the password check, without a lock: a suspension
        // committing since then revoked the player's sessions but not this one, which would come
        // back to life on reinstatement. Read it again under a share lock, after the hooks (which
        // may update this row; taking the share lock first would let two logins of one player
        // deadlock on their updates): a suspension in progress holds the row FOR UPDATE, so this
        // waits for it and sees it, and one starting later waits for this session and revokes it.
        const suspension = await repo.lockUserSuspension(trx, signedIn.id);
        if (!suspension) throw unauthenticated('wrong site_id or password');
        if (suspension.suspended_at) throw forbidden('this account is suspended');
        return openSession(trx, signedIn, now);
      });
    },

    /**
     * Rotates a refresh token. A token that was already spent (or belongs to a revoked session)
     * is a sign of theft: the whole family is revoked and the caller gets 401.
     */
    async refresh(refreshToken: string, traceId?: string): Promise<AuthResponse> {
      const now = clock.now();
      const tokenHash = hashRefreshToken(refreshToken);
      const outcome = await db.transaction().execute(async (trx) => {
        const spent = await repo.spendRefreshToken(trx, tokenHash, now);
        if (spent) {
          const user = await findUserById(trx, spent.user_id);
          if (!user) return { error: 'unknown user' as const };
          if (user.suspended_at) return { error: 'account suspended' as const };
          for (const hook of deps.onSignIn ?? []) await hook(trx, user, { now, traceId });
          return { pair: await issuePair(trx, user, spent.session_id, now) };
        }
        const known = await repo.findRefreshToken(trx, tokenHash);
        if (known?.spent_at) await repo.revokeSession(trx, known.session_id, 'reuse_detected', now);
        return { error: 'invalid refresh token' as const };
      });
      if ('error' in outcome) throw unauthenticated(outcome.error);
      return outcome.pair;
    },

    /** Ends the caller's login session: every refresh token of its family stops working. */
    async logout(claims: AccessClaims): Promise<void> {
      await repo.revokeSession(db, claims.sessionId, 'logout', clock.now());
    },

    /** Verifies an access token and that its session is still live; returns the current role. */
    async authenticate(token: string): Promise<AuthenticatedCaller> {
      const claims = await signer.verify(token, clock.now());
      const live = await checkSession(claims.sessionId);
      if (!live || live.userId !== claims.userId) throw unauthenticated('session revoked');
      return { ...claims, role: live.role, versions: live.versions };
    },

    async me(userId: string) {
      const user = await findUserById(db, userId);
      if (!user) throw unauthenticated();
      return { user: toUser(user) };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
