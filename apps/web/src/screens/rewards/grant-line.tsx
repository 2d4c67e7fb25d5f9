import { fmtDate, useRewardText } from '../../components/common';
import { useApp, useT } from '../../hooks';
import type { RewardGrant } from '../../store/types';

/** One grant of a history: where it came from, what it gave and when (the player's and the operator's lists). */
export function GrantLine({ grant }: { grant: RewardGrant }) {
  const t = useT();
  const rt = useRewardText();
  const lang = useApp((s) => s.ui.lang);
  return (
    <li>
      <span className="badge">{t(`rewards.source.${grant.source}`)}</span> {rt.items(grant.reward_items)} <small className="muted">{fmtDate(grant.granted_at, lang)}</small>
    </li>
  );
}
