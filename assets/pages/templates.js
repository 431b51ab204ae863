// Prompt templates: list, detail with version history, execute (dry run or with the model),
// offline sentiment analysis.
import { html, useState } from '../lib.js';
import { get, post, patch, del } from '../api.js';
import { ResourcePage, ResourceList } from '../resource.js';
import { Link, navigate } from '../router.js';
import { useSession, can } from '../session.js';
import {
  useAsync, Loading, ErrorBox, DefList, PageHead, FormDialog, JsonView, confirmDialog, notify,
} from '../components.js';
import { fmtDate } from '../format.js';
import { environmentOptions, modelOptions } from './tenant.js';

const FIELDS = [
  { name: 'name', label: 'Name', required: true },
  { name: 'modelId', label: 'Model', type: 'select', options: modelOptions },
  { name: 'environmentId', label: 'Environment', type: 'select', options: environmentOptions },
  { name: 'description', label: 'Description', type: 'textarea' },
  { name: 'promptText', label: 'Prompt text', type: 'textarea', required: true, rows: 6, hint: 'Use {{variable}} placeholders.' },
  { name: 'variables', label: 'Variables', type: 'json', default: '{}', hint: 'JSON object: variable name → description or default.' },
  { name: 'variableSets', label: 'Variable sets', type: 'json', default: '[]', hint: 'JSON: [{"name": "demo", "values": {"x": "1"}}]' },
];

const withDefaults = (b, mode) => (mode === 'create' ? { variables: {}, variableSets: [], ...b } : b);

const templates = {
  title: 'Prompt templates',
  singular: 'template',
  api: '/prompt-templates',
  sort: 'name',
  search: false,
  intro: 'Versioned prompts with {{variables}}: every change keeps the previous version.',
  perms: { create: 'entities:create', update: 'entities:update', delete: 'entities:delete' },
  filters: [
    { name: 'environmentId', label: 'Environment', options: environmentOptions },
    { name: 'modelId', label: 'Model', options: modelOptions },
  ],
  columns: [
    { key: 'name', label: 'Name', render: (r) => html`<${Link} href=${`/prompt-templates/${r.id}`}><strong>${r.name}</strong><//>` },
    { key: 'version', label: 'Version', className: 'num' },
    { key: 'model', label: 'Model', render: (r) => r.model?.name || '—' },
    { key: 'environment', label: 'Environment', render: (r) => r.environment?.name || '—' },
    { key: 'updatedAt', label: 'Updated', render: (r) => fmtDate(r.updatedAt) },
  ],
  fields: FIELDS,
  toBody: withDefaults,
  deleteNote: 'Its versions go with it. This cannot be undone.',
};

export const PromptTemplatesPage = () => html`<${ResourcePage} desc=${templates} />`;

export function PromptTemplateDetail({ params }) {
  const session = useSession();
  const id = params.id;
  const t = useAsync(() => get(`/prompt-templates/${id}`), [id]);
  const [dialog, setDialog] = useState(null);
  const [result, setResult] = useState(null);
  const [tick, setTick] = useState(0);
  const tpl = t.data;

  const versions = {
    title: 'Versions',
    subtitle: 'Version history',
    singular: 'version',
    api: `/prompt-templates/${id}/versions`,
    sort: '-version',
    search: false,
    empty: 'No earlier versions: this is version 1.',
    columns: [
      { key: 'version', label: 'Version', className: 'num' },
      { key: 'createdAt', label: 'Saved', render: (r) => fmtDate(r.createdAt) },
      { key: 'snapshot', label: 'Prompt text', render: (r) => html`<span class="clip">${r.snapshot?.promptText}</span>` },
      { key: 'full', label: 'Snapshot', render: (r) => html`<details><summary>Show<span class="sr-only"> version ${r.version}</span></summary><${JsonView} value=${r.snapshot} /></details>` },
    ],
  };

  const edit = () => setDialog(html`<${FormDialog} title=${`Edit “${tpl.name}”`} fields=${FIELDS} mode="edit" initial=${tpl} wide=${true}
    submitLabel="Save as new version" onClose=${() => setDialog(null)}
    onSubmit=${async (b) => {
      if (Object.keys(b).length) { await patch(`/prompt-templates/${id}`, b); notify('Saved as a new version'); }
      setDialog(null); t.reload(); setTick((x) => x + 1);
    }} />`);

  const execute = () => setDialog(html`<${FormDialog} title=${`Execute “${tpl.name}”`} submitLabel="Execute" onClose=${() => setDialog(null)}
    intro="A dry run only renders the prompt. Without it the template's model is called and the cost is debited from the workspace's credits."
    fields=${[
      { name: 'variableSetName', label: 'Variable set', type: 'select', options: (tpl.variableSets || []).map((s) => s.name) },
      { name: 'values', label: 'Values (JSON)', type: 'json', default: '{}', hint: 'They win over the variable set’s.' },
      { name: 'dryRun', label: 'Dry run (render only)', type: 'checkbox', default: true },
      { name: 'maxTokens', label: 'Max tokens', type: 'number' },
      { name: 'temperature', label: 'Temperature', type: 'number' },
    ]}
    onSubmit=${async (b) => {
      const r = await post(`/prompt-templates/${id}/execute`, { values: {}, ...b });
      setDialog(null); setResult(r); t.reload();
    }} />`);

  const sentiment = async () => {
    try { setResult({ sentiment: await post(`/prompt-templates/${id}/analyze-sentiment`) }); } catch (e) { notify(e.message, 'error'); }
  };

  const remove = async () => {
    if (!await confirmDialog({ title: 'Delete template?', message: `Delete “${tpl.name}” and all its versions? This cannot be undone.`, confirmLabel: 'Delete', danger: true })) return;
    try { await del(`/prompt-templates/${id}`); notify('Template deleted'); navigate('/prompt-templates'); } catch (e) { notify(e.message, 'error'); }
  };

  return html`<section class="page">
    <p class="crumbs"><${Link} href="/prompt-templates">Prompt templates<//> /</p>
    ${t.error && html`<${ErrorBox} error=${t.error} onRetry=${t.reload} />`}
    ${!tpl && t.loading && html`<${Loading} />`}
    ${tpl && html`
      <${PageHead} title=${tpl.name} intro=${tpl.description}>
        ${can(session, 'entities:update') && html`<button type="button" class="btn" onClick=${edit}>Edit</button>`}
        ${can(session, 'prompts:write') && html`<button type="button" class="btn btn-primary" onClick=${execute}>Execute</button>`}
        ${can(session, 'entities:update') && html`<button type="button" class="btn" onClick=${sentiment}>Analyse sentiment</button>`}
        ${can(session, 'entities:delete') && html`<button type="button" class="btn btn-danger-outline" onClick=${remove}>Delete</button>`}
      <//>
      <${DefList} items=${[
        ['Version', tpl.version],
        ['Model', tpl.model?.name],
        ['Environment', tpl.environment?.name],
        ['Updated', fmtDate(tpl.updatedAt)],
        ['Created', fmtDate(tpl.createdAt)],
      ]} />
      <h2>Prompt text</h2>
      <pre class="prompt">${tpl.promptText}</pre>
      <div class="two-col">
        <div><h2>Variables</h2><${JsonView} value=${tpl.variables} /></div>
        <div><h2>Variable sets</h2><${JsonView} value=${tpl.variableSets} /></div>
      </div>
      ${result && html`<div class="panel" role="region" aria-label="Result">
        <div class="section-head"><h2>Result</h2><button type="button" class="btn btn-small" onClick=${() => setResult(null)}>Close</button></div>
        ${result.sentiment ? html`<${JsonView} value=${result.sentiment} />` : html`
          <${DefList} items=${[
            ['Dry run', result.dryRun ? 'yes' : 'no'],
            ['Model', result.model ? `${result.model.name} (${result.model.modelName})` : '—'],
            ['Tokens', `${result.inputTokens} in / ${result.outputTokens} out`],
            ['Cost', `${result.costUsd} USD`],
            ['Duration', `${result.durationMs} ms`],
          ]} />
          <h3>Rendered prompt</h3><pre class="prompt">${result.renderedPrompt}</pre>
          ${result.output != null && html`<h3>Output</h3><pre class="prompt">${result.output}</pre>`}`}
      </div>`}
      <${ResourceList} key=${tick} desc=${versions} />
    `}
    ${dialog}
  </section>`;
}
