import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_S, createTokenSigner } from './tokens.ts';

const claims = { userId: '00000000-0000-4000-8000-000000000001', role: 'player' as const, sessionId: '00000000-0000-4000-8000-000000000002' };
const t0 = new Date('2026-11-28T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('access tokens', () => {
  it('a token verified once still expires by the injected clock (the verified-token cache keeps time honest)', async () => {
    const signer = createTokenSigner('a-test-secret-that-is-long-enough-0123456789');
    const token = await signer.sign(claims, t0);
    await expect(signer.verify(token, at(1))).resolves.toEqual(claims);
    await expect(signer.verify(token, at(ACCESS_TOKEN_TTL_S - 1))).resolves.toEqual(claims);
    await expect(signer.verify(token, at(ACCESS_TOKEN_TTL_S))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(signer.verify(token, at(1))).resolves.toEqual(claims);
  });

  it('a cached token does not vouch for a tampered copy or for another key', async () => {
    const signer = createTokenSigner('a-test-secret-that-is-long-enough-0123456789');
    const token = await signer.sign(claims, t0);
    await signer.verify(token, at(1));
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    await expect(signer.verify(`${header}.${forged}.${signature}`, at(1))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const other = createTokenSigner('another-secret-that-is-long-enough-987654321');
    await expect(other.verify(token, at(1))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
