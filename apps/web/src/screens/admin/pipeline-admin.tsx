import { useEffect, useState } from 'react';
import type { PipelineStatus } from '@playloop/contracts';
import { Loading, Section } from '../../components/common';
import { useApp, useAppStore, useT } from '../../hooks';
import { SINK_ERRORS, sinkFields, sinkValue } from './pipeline-figures';

/** Pipeline health: the outbox backlog, the relay and the analytics store. */
export function PipelineAdmin() {
  const t = useT();
  const lang = useApp((s) => s.ui.lang);
  const { api } = useAppStore().deps;
  const toastError = useApp((s) => s.toastError);
  const [status, setStatus] = useState<PipelineStatus | null>(null);
  useEffect(() => {
    const load = () => api.admin.pipeline().then((r) => setStatus(r.data), toastError);
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [api, toastError]);
  if (!status) return <Loading />;
  const { sink } = status;
  const fields = sinkFields(sink);
  return (
    <Section title={t('admin.pipeline')} testId="pipeline">
      <p>{t('admin.outboxPending', { n: status.outbox.pending })}</p>
      <p>{t('admin.oldest', { s: Math.round(status.outbox.oldest_pending_age_s) })}</p>
      <p>{t('admin.published', { n: status.outbox.published_total })}</p>
      <p>
        {t('admin.relay', { state: t(status.relay.running ? 'admin.relayRunning' : 'admin.relayStopped', { publisher: status.relay.publisher }) })}
        {status.relay.consecutive_failures > 0 && <span className="badge">⚠ {status.relay.consecutive_failures}</span>}
      </p>
      {status.relay.last_error && <p className="field-error">{status.relay.last_error}</p>}
      <h3>{t('admin.sink')}</h3>
      <dl className="stats" data-testid="sink-status">
        {fields.map(({ key: k, known }) => (
          <div key={k} style={{ display: 'contents' }} data-testid={`sink-${k}`}>
            <dt>{known ? t(`admin.sinkField.${k}`) : k}</dt>
            <dd>{sinkValue(sink[k], lang, (key) => t(key))}</dd>
          </div>
        ))}
      </dl>
      {SINK_ERRORS.filter((k) => typeof sink[k] === 'string').map((k) => (
        <p key={k} className="field-error" role="alert">
          {t(`admin.sinkField.${k}`)}: {String(sink[k])}
        </p>
      ))}
    </Section>
  );
}
