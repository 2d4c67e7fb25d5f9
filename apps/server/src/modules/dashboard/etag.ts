/**
 * The dashboard's validator. Three things change what GET /api/dashboard shows:
 *
 * - the player's own state: every change they can see bumps users.state_version in the same
 *   transaction (claims, purchases, session ends, progress, grants of any source);
 * - the operator's content: triggers bump content_version on any write to events, missions, items
 *   and the operator-edited columns of skus (not stock_remaining: see the migration);
 * - time: event windows open and close, missions reset, today_rewards and last_24h move on.
 *
 * The tag names the player too: two players' versions and minute can coincide, and a tag that
 * matched another player's copy would let a shared browser cache (one URL, two logins) answer one
 * player's revalidation with 304 for the other's dashboard.
 *
 * Both versions live in PostgreSQL, so the tag is the same on every server node and needs no
 * shared cache. Time is covered by the minute the request falls in: a 304 is at most one minute
 * stale, and only for time-driven changes (plus other players' purchases moving a limited SKU's
 * stock_remaining); a change of the player's state or of operator content shows at once.
 */

/** Width of the time bucket in the tag. */
export const ETAG_BUCKET_MS = 60_000;

export interface DashboardVersions {
  state: number;
  content: number;
}

/** W/"<user id, hex>-<state_version>-<content_version>-<minute>": weak, as the JSON is not byte-for-byte pinned. */
export function dashboardEtag(userId: string, versions: DashboardVersions, now: Date): string {
  return `W/"${userId.replaceAll('-', '')}-${versions.state}-${versions.content}-${Math.floor(now.getTime() / ETAG_BUCKET_MS)}"`;
}

/**
 * True when an If-None-Match header names this tag (RFC 9110 §13.1.2: a list of entity tags or
 * `*`, compared weakly, so `W/"x"` and `"x"` match each other). The list is read member by member
 * (an opaque tag may itself hold a comma); reading stops at anything malformed.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const wanted = etag.replace(/^W\//, '');
  // One list member, possibly empty: an optionally weak quoted tag or `*`, then a comma or the end.
  const member = /[ \t]*(?:(?:W\/)?("[^"]*")|(\*))?[ \t]*(?:,|$)/y;
  let at = 0;
  while (at < header.length) {
    member.lastIndex = at;
    const match = member.exec(header);
    if (!match || member.lastIndex === at) return false;
    if (match[2] === '*' || match[1] === wanted) return true;
    at = member.lastIndex;
  }
  return false;
}
