import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';

/**
 * `orgbridge report --html`: one self-contained page (no scripts, no external assets) with the
 * organization tree, each account's resolved settings with provenance, and the last plan.
 */
export interface ReportPlanAction {
  readonly action: string;
  readonly target: string;
  readonly reason: string;
}

export interface ReportInput {
  readonly config: ResolvedConfig;
  /** The last plan, if one was computed. */
  readonly plan?: readonly ReportPlanAction[];
  /** Account key -> observed account id, when the organization was observed. */
  readonly accountIds?: Readonly<Record<string, string>>;
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

function renderTree(node: OuNode, ids: Readonly<Record<string, string>>): string {
  const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
  const accounts = [...node.accounts].sort((a, b) => a.name.localeCompare(b.name));
  const items = [
    ...children.map((c) => `<li class="ou"><span>${escapeHtml(c.name)}/</span>${renderTree(c, ids)}</li>`),
    ...accounts.map((a) => {
      const id = ids[a.key] ? ` <code>${escapeHtml(ids[a.key] as string)}</code>` : '';
      const badge = a.kind === 'member' ? '' : ` <em>${escapeHtml(a.kind)}</em>`;
      return `<li class="account"><a href="#acct-${escapeHtml(a.key)}">${escapeHtml(a.name)}</a>${id}${badge}</li>`;
    }),
  ];
  return items.length ? `<ul>${items.join('')}</ul>` : '';
}

function renderValue(value: unknown): string {
  return escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
}

function renderAccount(account: ResolvedAccount, directory: string): string {
  const rows = Object.keys(account.settings)
    .sort()
    .map((setting) => {
      const p = account.provenance[setting];
      const file = p ? p.file.replace(`${directory}/`, '') : '';
      const where = p ? `${escapeHtml(p.layer)} <small>${escapeHtml(file)}:${p.line}</small>` : '';
      return `<tr><th>${escapeHtml(setting)}</th><td>${renderValue(account.settings[setting])}</td><td>${where}</td></tr>`;
    })
    .join('');
  const tags = Object.entries(account.tags)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(v)}</code>`)
    .join(' ');
  return `<section id="acct-${escapeHtml(account.key)}"><h3>${escapeHtml(account.name)}</h3>
<p>${escapeHtml(account.email)} · scope <b>${escapeHtml(account.scope)}</b> · OU <b>${escapeHtml(account.organization_unit)}</b>${account.protect ? ' · <b>protected</b>' : ''}</p>
<p>${tags}</p><table><tr><th>setting</th><th>value</th><th>from</th></tr>${rows}</table></section>`;
}

function renderPlan(plan: readonly ReportPlanAction[] | undefined): string {
  if (!plan) return '<p>No plan was computed for this report.</p>';
  if (plan.length === 0) return '<p>Nothing to do: the organization matches the configuration.</p>';
  const counts = new Map<string, number>();
  for (const a of plan) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
  const summary = [...counts.entries()].map(([k, n]) => `${escapeHtml(k)}: ${n}`).join(' · ');
  const rows = plan
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.action)}</td><td>${escapeHtml(a.target)}</td><td>${escapeHtml(a.reason)}</td></tr>`,
    )
    .join('');
  return `<p>${summary}</p><table><tr><th>action</th><th>target</th><th>reason</th></tr>${rows}</table>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d1d1f}h1{margin:0 0 .2rem}
ul{list-style:none;padding-left:1.2rem;border-left:1px solid #ddd}li.ou>span{font-weight:600}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{background:#f4f4f6;padding:0 .25rem;border-radius:3px}section{margin-top:1rem}em{color:#8a2be2}small{color:#666}`;

export function renderHtmlReport(input: ReportInput): string {
  const { config } = input;
  const ids = input.accountIds ?? {};
  const accounts = [...config.accounts].sort((a, b) => a.key.localeCompare(b.key));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orgbridge report</title><style>${STYLE}</style></head>
<body><h1>orgbridge report</h1><p><small>${escapeHtml(input.generatedAt.toISOString())} · ${accounts.length} accounts · ${escapeHtml(config.directory)}</small></p>
<h2>Organization</h2>${renderTree(buildOuTree(accounts), ids)}
<h2>Plan</h2>${renderPlan(input.plan)}
<h2>Accounts</h2>${accounts.map((a) => renderAccount(a, config.directory)).join('\n')}
</body></html>
`;
}
