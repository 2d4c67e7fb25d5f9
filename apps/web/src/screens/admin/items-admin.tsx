import { CreateItemBodySchema, UpdateItemBodySchema, type Item } from '@playloop/contracts';
import { newIdempotencyKey } from '../../api/client';
import { Empty, Loading, Section } from '../../components/common';
import { useAppStore, useT } from '../../hooks';
import { SchemaForm } from './form';
import { opensOf, opensValues, tableErrorKey, tableValues, withOpensMode } from './loot-table';
import { LootTableEditor } from './loot-table-editor';
import { CancelEdit, EditButton, EditDialog, opensModeField, rewardEditFields, useEditing, useList, useSave, useSaveEdit } from './admin-shared';

/** Items: their definitions and what a consumable opens. */
export function ItemsAdmin() {
  const t = useT();
  const store = useAppStore();
  const { api } = store.deps;
  const save = useSave();
  const list = useList<Item>(api.admin.items);
  const { items } = list;
  // A new or renamed item is named by its new name everywhere bundles are shown, at once.
  const reload = () => {
    list.reload();
    void store.getState().fetchItemNames();
  };
  const saveEdit = useSaveEdit(reload);
  const editing = useEditing('item', items, (i) => i.item_id);
  // A consumable's edit may switch between a fixed bundle and a table; a cosmetic opens nothing
  // (the server refuses contents for one), so its edit has no contents at all.
  const opens = editing?.kind === 'consumable' ? editing.opens : null;
  return (
    <div className="stack">
      <SchemaForm
        title={`${t('common.create')}: ${t('admin.items')}`}
        testId="item-form"
        schema={CreateItemBodySchema}
        initial={{ item_id: '', name: '', kind: 'consumable', opens_mode: 'bundle', reward_soft: '50', reward_exp: '', ...tableValues([{ weight: 1, bundle: { currencies: { soft: 50 } } }]) }}
        fields={(v) => [
          { name: 'item_id', label: t('admin.itemId') },
          { name: 'name', label: t('admin.name') },
          { name: 'kind', label: t('admin.kind'), type: 'select', options: ['consumable', 'cosmetic'], optionLabel: (o) => t(`admin.kind.${o}`) },
          // A consumable opens a fixed bundle or a weighted table; a cosmetic opens nothing.
          ...(v.kind === 'consumable' ? [opensModeField(t)] : []),
          ...(v.kind === 'consumable' && v.opens_mode === 'bundle'
            ? [
                { name: 'reward_soft', label: t('admin.opensSoft'), type: 'number' as const },
                { name: 'reward_exp', label: t('admin.opensExp'), type: 'number' as const },
              ]
            : []),
        ]}
        section={(form) => form.values.kind === 'consumable' && form.values.opens_mode === 'table' && <LootTableEditor form={form} />}
        errorKeyOf={tableErrorKey}
        toBody={(v) => ({
          item_id: v.item_id,
          name: v.name,
          kind: v.kind,
          ...(v.kind === 'consumable' ? { opens: opensOf(v) } : {}),
        })}
        onSubmit={(body) => save(() => api.admin.createItem(body, newIdempotencyKey())).then((ok) => (ok === true && reload(), ok))}
      />
      {editing && (
        <EditDialog label={`${t('common.edit')}: ${editing.name}`} testId="item-edit-dialog">
          <SchemaForm
            key={editing.item_id}
            title={`${t('common.edit')}: ${editing.name}`}
            testId="item-edit-form"
            schema={UpdateItemBodySchema}
            partial
            initial={{ name: editing.name, ...(opens ? opensValues(opens) : {}) }}
            fields={(v) => [
              { name: 'name', label: t('admin.name') },
              ...(opens ? [{ ...opensModeField(t), change: withOpensMode }] : []),
              ...(opens && v.opens_mode === 'bundle' ? rewardEditFields(t) : []),
            ]}
            section={(form) => opens && form.values.opens_mode === 'table' && <LootTableEditor form={form} />}
            errorKeyOf={tableErrorKey}
            toBody={(v) => ({ name: v.name, ...(opens ? { opens: opensOf(v) } : {}) })}
            onSubmit={(body) => saveEdit(() => api.admin.updateItem(editing.item_id, body))}
          >
            <CancelEdit />
          </SchemaForm>
        </EditDialog>
      )}
      <Section title={t('admin.items')}>
        {!items ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="list">
            {items.map((i) => (
              <li key={i.item_id} className="row spread wrap" data-testid={`admin-item-${i.item_id}`}>
                <span>
                  <strong>{i.name}</strong> <code>{i.item_id}</code> <span className="badge">{t(`admin.kind.${i.kind}`)}</span>
                </span>
                <EditButton kind="item" id={i.item_id} name={i.name} />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
