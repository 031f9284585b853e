import { ACTION_ORDER, type AccountAction, type AccountActionKind, type AccountPlan } from './model.js';

/** Human labels per action kind, in plan order. */
export const ACTION_LABELS: Readonly<Record<AccountActionKind, string>> = {
  'create-ou': 'create OU',
  'adopt-account': 'adopt account',
  'create-account': 'create account',
  'move-account': 'move account',
  'tag-account': 'tag account',
  'retire-account': 'retire account',
  'close-account': 'close account',
};

/** One-character mark of each action kind in text and Markdown plans. */
export const ACTION_SYMBOLS: Readonly<Record<AccountActionKind, string>> = {
  'create-ou': '+',
  'adopt-account': '=',
  'create-account': '+',
  'move-account': '>',
  'tag-account': '~',
  'retire-account': '-',
  'close-account': 'x',
};

function root(path: string): string {
  return path === '' ? '(root)' : path;
}

/** One line about an action's target, without its reason. */
export function describeAction(action: AccountAction): string {
  switch (action.action) {
    case 'create-ou':
      return `${action.path}`;
    case 'adopt-account':
      return `${action.key}: ${action.name} (${action.accountId}), matched by ${action.matchedBy}`;
    case 'create-account':
      return `${action.key}: ${action.name} <${action.email}> in ${root(action.ou)}`;
    case 'move-account':
      return `${action.key}: ${action.name} (${action.accountId}) ${root(action.from)} -> ${root(action.to)}`;
    case 'tag-account': {
      const set = Object.entries(action.set).map(([k, v]) => `${k}=${v}`);
      const removed = action.remove.map((k) => `-${k}`);
      return `${action.key}: ${action.name} (${action.accountId}) ${[...set, ...removed].join(' ')}`;
    }
    case 'retire-account':
      return `${action.key}: ${action.name} (${action.accountId}) ${root(action.from)} -> ${action.to}`;
    case 'close-account':
      return `${action.key}: ${action.name} (${action.accountId})`;
  }
}

export function actionsByKind(plan: AccountPlan): Map<AccountActionKind, AccountAction[]> {
  const groups = new Map<AccountActionKind, AccountAction[]>();
  for (const kind of ACTION_ORDER) groups.set(kind, []);
  for (const a of plan.actions) groups.get(a.action)?.push(a);
  return groups;
}

export function summaryLine(plan: AccountPlan): string {
  const parts = ACTION_ORDER.filter((k) => plan.summary.actions[k]).map(
    (k) => `${plan.summary.actions[k]} ${ACTION_LABELS[k]}`,
  );
  const changes = parts.length ? parts.join(', ') : 'no changes';
  const extra = [
    plan.summary.drift ? `${plan.summary.drift} drift` : '',
    plan.summary.blocked ? `${plan.summary.blocked} blocked` : '',
    plan.summary.warnings ? `${plan.summary.warnings} warnings` : '',
    `${plan.summary.unchanged} unchanged`,
    plan.summary.unmanaged ? `${plan.summary.unmanaged} unmanaged` : '',
  ].filter(Boolean);
  return `Plan: ${changes} (${extra.join(', ')})`;
}

/** Plain text, grouped by action with counts, drift first. No colour: the CLI adds none in CI. */
export function renderPlanText(plan: AccountPlan): string {
  const lines: string[] = [];
  if (plan.drift.length) {
    lines.push(`Drift: changed outside orgbridge (${plan.drift.length})`);
    for (const d of plan.drift) lines.push(`  ! ${d.key}: ${d.name} (${d.accountId}) ${d.detail}`);
    lines.push('');
  }
  for (const [kind, actions] of actionsByKind(plan)) {
    if (!actions.length) continue;
    lines.push(`${ACTION_LABELS[kind]} (${actions.length})`);
    for (const a of actions) lines.push(`  ${ACTION_SYMBOLS[kind]} ${describeAction(a)}\n      ${a.reason}`);
    lines.push('');
  }
  if (plan.blocked.length) {
    lines.push(`Blocked: the DSL asks for something orgbridge will not do (${plan.blocked.length})`);
    for (const n of plan.blocked) lines.push(`  x ${n.message} [${n.code}]`);
    lines.push('');
  }
  if (plan.warnings.length) {
    lines.push(`Warnings (${plan.warnings.length})`);
    for (const n of plan.warnings) lines.push(`  - ${n.message} [${n.code}]`);
    lines.push('');
  }
  if (plan.unmanaged.length) {
    lines.push(
      `${plan.unmanaged.length} account(s) not described by the DSL are left alone (never managed by orgbridge).`,
    );
    lines.push('');
  }
  lines.push(summaryLine(plan));
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Long lists fold in PR comments: GitHub renders <details> in Markdown. */
const FOLD_AFTER = 20;

/** Markdown for a pull-request comment: a summary table, then each group as a table. */
export function renderPlanMarkdown(plan: AccountPlan): string {
  const out: string[] = ['### orgbridge account plan', ''];
  out.push('| action | count |', '|---|---:|');
  for (const kind of ACTION_ORDER) {
    const n = plan.summary.actions[kind];
    if (n) out.push(`| ${ACTION_LABELS[kind]} | ${n} |`);
  }
  out.push(`| drift | ${plan.summary.drift} |`, `| blocked | ${plan.summary.blocked} |`);
  out.push(`| unchanged | ${plan.summary.unchanged} |`, '');
  if (!plan.actions.length && !plan.blocked.length) out.push('**Nothing to do**: AWS matches the DSL.', '');
  const section = (title: string, header: string, rows: string[]) => {
    if (!rows.length) return;
    const table = [
      header,
      `|${header
        .split('|')
        .slice(1, -1)
        .map(() => '---')
        .join('|')}|`,
      ...rows,
    ];
    if (rows.length > FOLD_AFTER) {
      out.push(`<details><summary>${title} (${rows.length})</summary>`, '', ...table, '', '</details>', '');
    } else out.push(`#### ${title} (${rows.length})`, '', ...table, '');
  };
  section(
    ':warning: Drift (changed outside orgbridge)',
    '| account | what happened | orgbridge wrote | AWS has now |',
    plan.drift.map(
      (d) =>
        `| ${escapeCell(`${d.key} (${d.accountId})`)} | ${escapeCell(d.detail)} | ${escapeCell(d.expected)} | ${escapeCell(d.actual)} |`,
    ),
  );
  for (const [kind, actions] of actionsByKind(plan)) {
    section(
      ACTION_LABELS[kind],
      '| target | reason |',
      actions.map((a) => `| ${escapeCell(describeAction(a))} | ${escapeCell(a.reason)} |`),
    );
  }
  section(
    ':no_entry: Blocked',
    '| code | message |',
    plan.blocked.map((n) => `| \`${n.code}\` | ${escapeCell(n.message)} |`),
  );
  section(
    'Warnings',
    '| code | message |',
    plan.warnings.map((n) => `| \`${n.code}\` | ${escapeCell(n.message)} |`),
  );
  out.push(`_${summaryLine(plan)}_`);
  return out.join('\n');
}

/** The stable machine format (docs/plan.md): the plan object itself, keys in schema order. */
export function renderPlanJson(plan: AccountPlan): string {
  return JSON.stringify(plan, null, 2);
}
