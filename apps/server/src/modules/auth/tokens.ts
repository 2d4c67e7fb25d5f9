import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Role } from '@playloop/contracts';
import { unauthenticated } from '../../lib/domain-error.ts';

export const ACCESS_TOKEN_TTL_S = 15 * 60;
export const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;
const ISSUER = 'playloop';
const AUDIENCE = 'playloop-api';
// Pinned: a token signed with any other algorithm, or `none`, is refused before its claims are read.
const ALGORITHM = 'HS256';

export interface AccessClaims {
  userId: string;
  role: Role;
  sessionId: string;
}

export function createTokenSigner(secret: string) {
  const key = new TextEncoder().encode(secret);

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
        .sign(key);
    },

    /** Verifies signature, algorithm, issuer, audience and expiry against the injected clock. */
    async verify(token: string, now: Date): Promise<AccessClaims> {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: now,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const { sub, role, sid } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || (role !== 'player' && role !== 'admin')) {
          throw new Error('malformed claims');
        }
        return { userId: sub, role, sessionId: sid };
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
