import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Role } from '@playloop/contracts';
import { unauthenticated } from '../../lib/domain-error.ts';

export const ACCESS_TOKEN_TTL_S = 15 * 60;
export const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;
const ISSUER = 'playloop';
const AUDIENCE = 'playloop-api';
// Pinned: a token signed with any other algorithm, or `none`, is refused before its claims are read.
const ALGORITHM = 'HS256';
const VERIFIED_CACHE_SIZE = 50_000;

export interface AccessClaims {
  userId: string;
  role: Role;
  sessionId: string;
}

export function createTokenSigner(secret: string) {
  // Imported once: handed raw bytes, jose imports a WebCrypto key on every call, which costs more
  // than the HMAC itself on the hot path (every authenticated request verifies a token).
  const key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

  // Tokens already verified: a player sends the same token for its whole 15 minutes, and checking
  // it again would redo a WebCrypto HMAC job (the largest cost of a 304) for the same answer. Only
  // good tokens are kept, the least recently used going first when full.
  const verified = new LRUCache<string, { claims: AccessClaims; expMs: number }>({ max: VERIFIED_CACHE_SIZE });

  return {
    /** Signs a short-lived access token for one login session. */
    async sign(claims: AccessClaims, now: Date): Promise<string> {
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({ role: claims.role, sid: claims.sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
        .sign(await key);
    },

    /** Verifies signature, algorithm, issuer, audience and expiry against the injected clock. */
    async verify(token: string, now: Date): Promise<AccessClaims> {
      const seen = verified.get(token);
      if (seen) {
        // The signature and fixed claims of these exact bytes were checked before; only time moves.
        if (now.getTime() < seen.expMs) return seen.claims;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: now,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const { sub, role, sid, exp } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || (role !== 'player' && role !== 'admin') || typeof exp !== 'number') {
          throw new Error('malformed claims');
        }
        const claims: AccessClaims = { userId: sub, role, sessionId: sid };
        verified.set(token, { claims, expMs: exp * 1000 });
        return claims;
      } catch {
        throw unauthenticated();
      }
    },
  };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;

/** A refresh token is 256 random bits; only its hash is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
