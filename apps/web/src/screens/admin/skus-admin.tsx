import { CreateSkuBodySchema, CurrencySchema, ShopSegmentSchema, UpdateSkuBodySchema, type AdminSku } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section, useRewardText } from '../../components/common';
import { useAppStore, useT } from '../../hooks';
import { SchemaForm, bundleOf, bundleValues, isoOf, localOf, num } from './form';
import { CancelEdit, EditButton, EditDialog, rewardEditFields, rewardFields, useEditing, useList, useSave, useSaveEdit } from './admin-shared';

type Translate = ReturnType<typeof useT>;

/** What a SKU's create and edit forms both ask, in order: its price and where it is sold. */
const saleFields = (t: Translate, stockLabel: string) => [
  { name: 'price', label: t('admin.price'), type: 'number' as const },
  // Currencies by the names the shop shows them with (Coins, Gems).
  { name: 'currency_type', label: t('admin.currency'), type: 'select' as const, options: CurrencySchema.options, optionLabel: (o: string) => t(`dash.${o}`) },
  { name: 'segment', label: t('admin.segment'), type: 'select' as const, options: ShopSegmentSchema.options, optionLabel: (o: string) => t(`admin.segment.${o}`) },
  { name: 'stock', label: stockLabel, type: 'number' as const },
  { name: 'per_user_limit', label: t('admin.perUserLimit'), type: 'number' as const },
];

/** The shop: every SKU with its stock and sales, new SKUs and changes to them. */
export function SkusAdmin() {
  const t = useT();
  const { api } = useAppStore().deps;
  const save = useSave();
  const rt = useRewardText();
  const { items, reload } = useList<AdminSku>(api.admin.skus);
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('sku', items, (s) => s.sku_id);
  const optional = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : num(s));
  const optionalDate = (s: string | undefined) => (s ? isoOf(s) : null);
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.skus')}`}
        testId="sku-form"
        schema={CreateSkuBodySchema}
        initial={{ sku_id: '', name: '', price: '100', currency_type: 'soft', segment: 'regular', stock: '', per_user_limit: '', reward_soft: '', reward_premium: '', reward_exp: '', reward_item: '' }}
        fields={[
          { name: 'sku_id', label: t('admin.skuId') },
          { name: 'name', label: t('admin.name') },
          ...saleFields(t, t('admin.stock')),
          ...rewardFields(t),
        ]}
        toBody={(v) => ({
          sku_id: v.sku_id,
          name: v.name,
          price: num(v.price),
          currency_type: v.currency_type,
          segment: v.segment,
          ...(num(v.stock) !== undefined ? { stock: num(v.stock) } : {}),
          ...(num(v.per_user_limit) !== undefined ? { per_user_limit: num(v.per_user_limit) } : {}),
          bundle: bundleOf(v),
        })}
        onSubmit={(body) => save(() => api.admin.createSku(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.name}`} testId="sku-edit-dialog">
          <SchemaForm
            key={editing.sku_id}
            title={`${t('common.edit')}: ${editing.name}`}
            testId="sku-edit-form"
            schema={UpdateSkuBodySchema}
            partial
            initial={{
              name: editing.name,
              description: editing.description,
              price: String(editing.price),
              currency_type: editing.currency_type,
              segment: editing.segment,
              stock: editing.stock === null ? '' : String(editing.stock),
              per_user_limit: editing.per_user_limit === null ? '' : String(editing.per_user_limit),
              available_from: editing.available_from ? localOf(new Date(editing.available_from)) : '',
              available_until: editing.available_until ? localOf(new Date(editing.available_until)) : '',
              ...bundleValues(editing.bundle),
              active: String(editing.active),
            }}
            fields={[
              { name: 'name', label: t('admin.name') },
              { name: 'description', label: t('admin.description') },
              ...saleFields(t, t('admin.stockTotal')),
              { name: 'available_from', label: t('admin.availableFrom'), type: 'datetime-local' },
              { name: 'available_until', label: t('admin.availableUntil'), type: 'datetime-local' },
              ...rewardEditFields(t),
              { name: 'active', label: t('admin.active'), type: 'checkbox' },
            ]}
            toBody={(v) => ({
              name: v.name,
              description: v.description,
              price: num(v.price),
              currency_type: v.currency_type,
              segment: v.segment,
              stock: optional(v.stock),
              per_user_limit: optional(v.per_user_limit),
              available_from: optionalDate(v.available_from),
              available_until: optionalDate(v.available_until),
              bundle: bundleOf(v, editing.bundle.items?.slice(1)),
              active: v.active === 'true',
            })}
            onSubmit={(body) => saveEdit(() => api.admin.updateSku(editing.sku_id, body))}
          >
            <p className="muted">{t('admin.soldNote', { n: editing.sold_count })}</p>
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.skus')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <div className="table-wrap">
            <table className="table">
              <tbody>
                {items.map((s) => (
                  <tr key={s.sku_id} data-testid={`admin-sku-${s.sku_id}`}>
                    <td>
                      {s.name}
                      {!s.active && <span className="badge">{t('admin.inactive')}</span>}
                    </td>
                    <td>{t(`reward.${s.currency_type}`, { n: s.price })}</td>
                    <td>{t(`admin.segment.${s.segment}`)}</td>
                    <td>{s.stock_remaining ?? '∞'} / {s.stock ?? '∞'}</td>
                    <td>{s.sold_count}</td>
                    <td>{rt.bundle(s.bundle)}</td>
                    <td>
                      <EditButton kind="sku" id={s.sku_id} name={s.name} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}
