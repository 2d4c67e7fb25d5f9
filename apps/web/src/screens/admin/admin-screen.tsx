import { useEffect, useState } from 'react';
import { useApp, useT } from '../../hooks';
import { EventsAdmin } from './events-admin';
import { MissionsAdmin } from './missions-admin';
import { SkusAdmin } from './skus-admin';
import { ItemsAdmin } from './items-admin';
import { KpisAdmin } from './kpis-admin';
import { PipelineAdmin } from './pipeline-admin';
import { PlayersAdmin } from './players-admin';

type Tab = 'events' | 'missions' | 'skus' | 'items' | 'kpis' | 'pipeline' | 'players';
const TABS: Tab[] = ['events', 'missions', 'skus', 'items', 'kpis', 'pipeline', 'players'];

/** The operator console (role admin): live ops content, KPI charts and pipeline health. */
export default function AdminScreen() {
  const t = useT();
  const closeModal = useApp((s) => s.closeModal);
  const [tab, setTab] = useState<Tab>('events');
  // An edit dialog belongs to its tab: leaving the tab or the console closes it.
  useEffect(() => closeModal, [closeModal]);
  const choose = (k: Tab) => {
    closeModal();
    setTab(k);
  };
  return (
    <div className="stack" data-testid="admin">
      <h1>{t('admin.title')}</h1>
      <div role="tablist" className="tabs row wrap" aria-label={t('admin.title')}>
        {TABS.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'active' : ''} onClick={() => choose(k)} data-testid={`admin-tab-${k}`}>
            {t(`admin.${k}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'events' && <EventsAdmin />}
        {tab === 'missions' && <MissionsAdmin />}
        {tab === 'skus' && <SkusAdmin />}
        {tab === 'items' && <ItemsAdmin />}
        {tab === 'kpis' && <KpisAdmin />}
        {tab === 'pipeline' && <PipelineAdmin />}
        {tab === 'players' && <PlayersAdmin />}
      </div>
    </div>
  );
}
