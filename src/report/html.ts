import {
  type Customization,
  type CustomizationInstance,
  customizationInstances,
} from '../config/customizations.js';
import type { Provenance, ResolvedAccount, ResolvedConfig } from '../config/model.js';
import type { AccountPlan } from '../plan/model.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { describeAction } from '../plan/render.js';
import { type ReportRow, ROW_STATE_LABELS, reportRows } from './model.js';
import { REPORT_SCRIPT, REPORT_STYLE } from './page-assets.js';

/**
 * `orgbridge report --html` (and the report `orgbridge local` writes): one self-contained page,
 * no external assets, with what AWS holds next to what the config wants (ids, real names and
 * OUs, drift, the plan's blocked items and warnings, retired and protected accounts, whether the
 * plan was applied), a search box and filters, the OU tree, and each account's settings with
 * where they came from.
 */
export interface ReportInput {
  readonly config: ResolvedConfig;
  /** The organization as AWS holds it; absent for a report of the configuration alone. */
  readonly observed?: ObservedOrganization;
  /** The account plan (computed now, read from a saved `plan --json`, or applied by `local`). */
  readonly plan?: AccountPlan;
  /** Where the plan came from, e.g. `computed now (dry run)` or `plan.json`. */
  readonly planSource?: string;
  /** Set when a run carried a plan out: how many of its actions were applied and failed. */
  readonly applied?: { readonly applied: number; readonly failed: number; readonly total: number };
  readonly generatedAt: Date;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

interface OuNode {
  readonly name: string;
  readonly children: Map<string, OuNode>;
  readonly accounts: ResolvedAccount[];
}

export function buildOuTree(accounts: readonly ResolvedAccount[]): OuNode {
  const root: OuNode = { name: 'Root', children: new Map(), accounts: [] };
  for (const account of accounts) {
    let node = root;
    for (const part of account.organization_unit.split('/').filter(Boolean)) {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, children: new Map(), accounts: [] };
        node.children.set(part, child);
      }
      node = child;
    }
    node.accounts.push(account);
  }
  return root;
}

function renderTree(node: OuNode, ids: ReadonlyMap<string, string>): string {
  const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
  const accounts = [...node.accounts].sort((a, b) => a.name.localeCompare(b.name));
  const items = [
    ...children.map((c) => `<li class="ou"><span>${escapeHtml(c.name)}/</span>${renderTree(c, ids)}</li>`),
    ...accounts.map((a) => {
      const id = ids.get(a.key);
      const badge = a.kind === 'member' ? '' : ` <em>${escapeHtml(a.kind)}</em>`;
      return `<li class="account"><a href="#acct-${escapeHtml(a.key)}">${escapeHtml(a.name)}</a>${id ? ` <code>${escapeHtml(id)}</code>` : ''}${badge}</li>`;
    }),
  ];
  return items.length ? `<ul>${items.join('')}</ul>` : '';
}

const ou = (path: string | undefined) => (path === undefined ? '' : path === '' ? '(root)' : path);

/** Where a setting came from: a file position, or the default orgbridge itself applies. */
function provenanceCell(p: Provenance | undefined, directory: string): string {
  if (!p) return '';
  if (p.layer === 'builtin') return '<small>orgbridge default</small>';
  if (p.line === 0) return `${escapeHtml(p.layer)}`;
  const file = p.file.replace(`${directory}/`, '');
  return `${escapeHtml(p.layer)} <small>${escapeHtml(file)}:${p.line}</small>`;
}

function renderValue(value: unknown): string {
  return escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
}

/** The account's customizations (stacks/<name>/): each stack, its regions and parameters. */
function renderCustomizations(account: ResolvedAccount, customizations: readonly Customization[]): string {
  const instances = customizationInstances(customizations, [account]);
  if (!instances.length) return '';
  const byStack = new Map<string, CustomizationInstance[]>();
  for (const i of instances) byStack.set(i.customization, [...(byStack.get(i.customization) ?? []), i]);
  const rows = [...byStack.entries()]
    .map(([name, list]) => {
      const first = list[0] as CustomizationInstance;
      const parameters = Object.entries(first.parameters)
        .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v)}</code>`)
        .join(' ');
      return `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(first.stack_name)}</td><td>${escapeHtml(list.map((i) => i.region).join(', '))}</td><td>${parameters}</td></tr>`;
    })
    .join('');
  return `<table class="customizations"><tr><th>customization</th><th>stack</th><th>regions</th><th>parameters</th></tr>${rows}</table>`;
}

function renderAccount(
  account: ResolvedAccount,
  directory: string,
  customizations: readonly Customization[] = [],
): string {
  const rows = Object.keys(account.settings)
    .sort()
    .map(
      (setting) =>
        `<tr><th>${escapeHtml(setting)}</th><td>${renderValue(account.settings[setting])}</td><td>${provenanceCell(account.provenance[setting], directory)}</td></tr>`,
    )
    .join('');
  const tags = Object.entries(account.tags)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v)}</code>`)
    .join(' ');
  return `<details class="settings" id="acct-${escapeHtml(account.key)}"><summary><b>${escapeHtml(account.name)}</b> <small>${escapeHtml(account.key)} · scope ${escapeHtml(account.scope)} · ${escapeHtml(ou(account.organization_unit))}${account.protect ? ' · protected' : ''}</small></summary>
<p>${escapeHtml(account.email)}</p><p>${tags}</p><table><tr><th>setting</th><th>value</th><th>from</th></tr>${rows}</table>${renderCustomizations(account, customizations)}</details>`;
}

/** `wanted` and, when AWS differs, what AWS has, marked. */
function compared(wanted: string | undefined, aws: string | undefined): string {
  if (wanted === undefined) return aws === undefined ? '' : escapeHtml(aws);
  if (aws === undefined || aws === wanted) return escapeHtml(wanted);
  return `${escapeHtml(wanted)}<br><span class="differs" title="what AWS has">AWS: ${escapeHtml(aws)}</span>`;
}

function list(items: readonly string[], cls: string): string {
  return items.length
    ? `<ul class="${cls}">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
    : '';
}

function renderRow(row: ReportRow): string {
  const wantedOu = row.wantedOu === undefined ? undefined : ou(row.wantedOu);
  const awsOu = row.awsOu === undefined ? undefined : ou(row.awsOu);
  const problems = row.blocked.length + row.warnings.length;
  const flags = [
    row.protect ? '<span class="flag protect">protected</span>' : '',
    row.retired ? `<span class="flag retired">retired ${escapeHtml(row.retired)}</span>` : '',
    row.kind !== 'member' ? `<span class="flag kind">${escapeHtml(row.kind)}</span>` : '',
  ].join(' ');
  const name = row.key
    ? `<a href="#acct-${escapeHtml(row.key)}">${escapeHtml(row.key)}</a>`
    : '<small>(not in the config)</small>';
  const attributes = [
    `data-scope="${escapeHtml(row.scope ?? '')}"`,
    `data-ou="${escapeHtml(row.wantedOu ?? row.awsOu ?? '')}"`,
    `data-state="${row.state}"`,
    `data-drift="${row.drift.length ? 'yes' : 'no'}"`,
    `data-pending="${row.actions.length ? 'yes' : 'no'}"`,
    `data-problems="${problems ? 'yes' : 'no'}"`,
    `data-protect="${row.protect ? 'yes' : 'no'}"`,
  ].join(' ');
  return `<tr class="account-row state-${row.state}${row.drift.length ? ' has-drift' : ''}" ${attributes}>
<td>${name} ${flags}</td><td>${row.id ? `<code>${escapeHtml(row.id)}</code>` : ''}</td>
<td>${compared(row.wantedName, row.awsName)}</td><td>${escapeHtml(row.scope ?? '')}</td>
<td>${compared(wantedOu, awsOu)}</td><td><span class="state">${escapeHtml(ROW_STATE_LABELS[row.state])}</span></td>
<td>${list(row.drift, 'drift')}${list(row.blocked, 'blocked')}${list(row.warnings, 'warnings')}${list(row.actions, 'actions')}</td></tr>`;
}

function options(values: Iterable<string>, label: (v: string) => string = (v) => v): string {
  return [...new Set(values)]
    .sort()
    .map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(label(v))}</option>`)
    .join('');
}

/** Every OU a row is in and each of their parents: choosing `Internal` shows all of Internal/…. */
function ouChoices(rows: readonly ReportRow[]): string[] {
  const paths = new Set<string>();
  for (const r of rows) {
    for (const path of [r.wantedOu, r.awsOu]) {
      if (path === undefined) continue;
      const parts = path.split('/');
      for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('/'));
    }
  }
  return [...paths];
}

function renderFilters(rows: readonly ReportRow[]): string {
  return `<form class="filters" role="search" onsubmit="return false">
<input type="search" id="search" placeholder="Search accounts: key, name, id, OU, drift…" aria-label="Search accounts" autocomplete="off">
<label>Scope <select id="filter-scope"><option value="">all</option>${options(rows.flatMap((r) => (r.scope ? [r.scope] : [])))}</select></label>
<label>OU <select id="filter-ou"><option value="">all</option>${options(ouChoices(rows), ou)}</select></label>
<label>State <select id="filter-state"><option value="">all</option>${options(
    rows.map((r) => r.state),
    (s) => ROW_STATE_LABELS[s as ReportRow['state']],
  )}<option value="protected">protected</option></select></label>
<label>Show <select id="filter-show"><option value="">every account</option><option value="drift">drift only</option><option value="pending">pending changes</option><option value="problems">blocked or warnings</option></select></label>
<output id="shown" for="search" aria-live="polite">${rows.length} of ${rows.length} accounts</output>
</form>`;
}

function planStatus(input: ReportInput): string {
  const { plan } = input;
  const source = input.planSource ? ` (${escapeHtml(input.planSource)})` : '';
  const applied = input.applied
    ? `<b>Applied</b> by this run: ${input.applied.applied} of ${input.applied.total} actions${input.applied.failed ? `, <b class="bad">${input.applied.failed} failed</b>` : ''}. `
    : '';
  if (!plan) return `${applied}No plan was computed for this report.`;
  if (plan.actions.length === 0 && plan.blocked.length === 0)
    return `${applied}Nothing to do: the organization matches the configuration${source}.`;
  return `${applied}<b>Not applied</b>: ${plan.actions.length} actions pending${source}; <code>orgbridge run --action sync-accounts --execute</code> applies them.`;
}

/** A titled table, or nothing when it has no rows. */
function titledTable(title: string, header: readonly string[], rows: readonly string[][]): string {
  if (!rows.length) return '';
  return `<h3>${escapeHtml(title)} (${rows.length})</h3><table class="wide"><tr>${header
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join(
      '',
    )}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function renderPlan(plan: AccountPlan | undefined): string {
  if (!plan) return '';
  const notices = (list: AccountPlan['blocked']) => list.map((n) => [n.code, n.message]);
  return [
    titledTable(
      'Drift: changed outside orgbridge',
      ['account', 'what happened', 'orgbridge wrote', 'AWS has'],
      plan.drift.map((d) => [`${d.key} (${d.accountId})`, d.detail, d.expected, d.actual]),
    ),
    titledTable('Blocked', ['code', 'message'], notices(plan.blocked)),
    titledTable('Warnings', ['code', 'message'], notices(plan.warnings)),
    titledTable(
      'Actions',
      ['action', 'target', 'reason'],
      plan.actions.map((a) => [a.action, describeAction(a), a.reason]),
    ),
  ].join('\n');
}

function stat(label: string, value: number | string, cls = ''): string {
  return `<div class="stat ${cls}"><span>${escapeHtml(String(value))}</span>${escapeHtml(label)}</div>`;
}

export function renderHtmlReport(input: ReportInput): string {
  const { config, observed, plan } = input;
  const rows = reportRows(config, observed, plan);
  const ids = new Map(rows.flatMap((r) => (r.key && r.id ? [[r.key, r.id] as const] : [])));
  const accounts = [...config.accounts].sort((a, b) => a.key.localeCompare(b.key));
  const source = observed
    ? `AWS organization read at ${escapeHtml(input.generatedAt.toISOString())}: ${observed.accounts.length} accounts`
    : 'AWS was not read: the configuration alone';
  const stats = [
    stat('accounts in the config', config.accounts.length),
    observed ? stat('accounts in AWS', observed.accounts.length) : '',
    plan ? stat('drift', plan.drift.length, plan.drift.length ? 'warn' : '') : '',
    plan ? stat('pending actions', plan.actions.length) : '',
    plan ? stat('blocked', plan.blocked.length, plan.blocked.length ? 'bad' : '') : '',
    plan ? stat('warnings', plan.warnings.length) : '',
    stat('retired', rows.filter((r) => r.state === 'retired').length),
    stat('protected', rows.filter((r) => r.protect).length),
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>orgbridge report</title><style>${REPORT_STYLE}</style></head>
<body><header><h1>orgbridge report</h1><p><small>${escapeHtml(input.generatedAt.toISOString())} · ${escapeHtml(config.directory)} · ${source}</small></p>
<div class="stats">${stats}</div><p class="plan-status">${planStatus(input)}</p></header>
<main>
<h2>Accounts</h2>
${renderFilters(rows)}
<table class="wide" id="accounts"><thead><tr><th>account</th><th>id</th><th>name</th><th>scope</th><th>OU</th><th>state</th><th>drift · problems · pending</th></tr></thead>
<tbody>${rows.map(renderRow).join('\n')}</tbody></table>
<p id="no-match" hidden>No account matches these filters.</p>
<h2>Plan</h2><p>${planStatus(input)}</p>${renderPlan(plan)}
<h2>Organization (as configured)</h2>${renderTree(buildOuTree(accounts), ids)}
<h2>Settings of each account</h2>${accounts.map((a) => renderAccount(a, config.directory, config.customizations ?? [])).join('\n')}
</main>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}
