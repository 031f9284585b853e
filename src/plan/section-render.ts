import type { OrganizationPlan, PlanSection, SectionChange, SectionStatus } from './sections.js';

/**
 * The three faces of the organization plan: text for a terminal or a CI log, Markdown for a
 * pull-request comment, JSON for scripts (docs/plan.md). Every section renders alike, whatever
 * its kind.
 */

const STATUS_LABEL: Readonly<Record<SectionStatus, string>> = {
  'in-sync': 'no changes',
  changes: 'changes pending',
  blocked: 'blocked',
  skipped: 'skipped',
  failed: 'could not be planned',
};

/** Changes of one section grouped by `group`, in the order the section lists them. */
function groups(changes: readonly SectionChange[]): Map<string, SectionChange[]> {
  const out = new Map<string, SectionChange[]>();
  for (const c of changes) out.set(c.group, [...(out.get(c.group) ?? []), c]);
  return out;
}

function textSection(s: PlanSection): string[] {
  const lines = [`${s.title}: ${s.summary}`];
  if (s.drift.length) {
    lines.push(`  Drift: changed outside orgbridge (${s.drift.length})`);
    for (const d of s.drift) {
      lines.push(`    ! ${d.target}: ${d.detail}`);
      for (const l of d.diff ?? []) lines.push(`        ${l}`);
    }
  }
  for (const [group, changes] of groups(s.changes)) {
    lines.push(`  ${group} (${changes.length})`);
    for (const c of changes) {
      lines.push(`    ${c.symbol} ${c.target}`);
      if (c.reason) lines.push(`        ${c.reason}`);
      for (const l of c.diff ?? []) lines.push(`        ${l}`);
    }
  }
  if (s.blocked.length) {
    lines.push(`  Blocked (${s.blocked.length})`);
    for (const n of s.blocked) lines.push(`    x ${n.message} [${n.code}]`);
  }
  if (s.warnings.length) {
    lines.push(`  Warnings (${s.warnings.length})`);
    for (const n of s.warnings) lines.push(`    - ${n.message} [${n.code}]`);
  }
  for (const note of s.notes) lines.push(`  note: ${note}`);
  if (s.apply) lines.push(`  to apply: ${s.apply}`);
  return lines;
}

/** One line over every section, e.g. `Plan: accounts 3 changes, policies no changes, ...`. */
export function organizationSummaryLine(plan: OrganizationPlan): string {
  const parts = plan.sections.map((s) => {
    const what =
      s.status === 'changes'
        ? `${s.changes.length} change${s.changes.length === 1 ? '' : 's'}`
        : STATUS_LABEL[s.status];
    return `${s.kind} ${what}${s.drift.length ? ` (${s.drift.length} drift)` : ''}`;
  });
  return `Plan: ${parts.join(', ')}`;
}

export function renderOrganizationPlanText(plan: OrganizationPlan): string {
  const lines: string[] = [];
  for (const s of plan.sections) lines.push(...textSection(s), '');
  lines.push(organizationSummaryLine(plan));
  return lines.join('\n');
}

export function renderOrganizationPlanJson(plan: OrganizationPlan): string {
  return JSON.stringify(plan, null, 2);
}

/** GitHub's limit for an issue or pull-request comment body, in characters. */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;
/** A diff longer than this is cut in the comment (the CI log has it whole). */
const MAX_DIFF_LINES_IN_COMMENT = 120;
/** Tables are cut into chunks so a comment near the limit drops rows, not whole sections. */
const ROWS_PER_TABLE = 25;

export function escapeMarkdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function escapeHtmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced block that survives any content: the fence is longer than any backtick run inside. */
function fenced(language: string, lines: readonly string[]): string {
  const longest = Math.max(
    2,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))),
  );
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, ...lines, fence].join('\n');
}

function clipDiff(diff: readonly string[]): string[] {
  if (diff.length <= MAX_DIFF_LINES_IN_COMMENT) return [...diff];
  return [
    ...diff.slice(0, MAX_DIFF_LINES_IN_COMMENT),
    `# … ${diff.length - MAX_DIFF_LINES_IN_COMMENT} more lines (run \`orgbridge plan\` for the whole diff)`,
  ];
}

function tables(header: string, rows: readonly string[]): string[] {
  const cells = header.split('|').length - 2;
  const rule = `|${Array.from({ length: cells }, () => '---').join('|')}|`;
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_TABLE) {
    out.push([header, rule, ...rows.slice(i, i + ROWS_PER_TABLE)].join('\n'));
  }
  return out;
}

/** A section's body as atomic Markdown blocks: a comment near the size limit drops whole blocks. */
function markdownBlocks(s: PlanSection): string[] {
  const blocks: string[] = [];
  if (s.drift.length) {
    blocks.push(`**:warning: Drift: changed outside orgbridge (${s.drift.length})**`);
    blocks.push(
      ...tables(
        '| target | what happened |',
        s.drift.map((d) => `| ${escapeMarkdownCell(d.target)} | ${escapeMarkdownCell(d.detail)} |`),
      ),
    );
    for (const d of s.drift)
      if (d.diff?.length)
        blocks.push(`${escapeMarkdownCell(d.target)}:\n\n${fenced('diff', clipDiff(d.diff))}`);
  }
  for (const [group, changes] of groups(s.changes)) {
    blocks.push(`**${escapeHtmlText(group)} (${changes.length})**`);
    blocks.push(
      ...tables(
        '| | target | reason |',
        changes.map(
          (c) =>
            `| \`${c.symbol}\` | ${escapeMarkdownCell(c.target)} | ${escapeMarkdownCell(c.reason ?? '')} |`,
        ),
      ),
    );
    for (const c of changes)
      if (c.diff?.length)
        blocks.push(`${escapeMarkdownCell(c.target)}:\n\n${fenced('diff', clipDiff(c.diff))}`);
  }
  if (s.blocked.length) {
    blocks.push(`**:no_entry: Blocked (${s.blocked.length})**`);
    blocks.push(
      ...tables(
        '| code | message |',
        s.blocked.map((n) => `| \`${n.code}\` | ${escapeMarkdownCell(n.message)} |`),
      ),
    );
  }
  if (s.warnings.length) {
    blocks.push(`**Warnings (${s.warnings.length})**`);
    blocks.push(
      ...tables(
        '| code | message |',
        s.warnings.map((n) => `| \`${n.code}\` | ${escapeMarkdownCell(n.message)} |`),
      ),
    );
  }
  if (s.notes.length) blocks.push(s.notes.map((n) => `- ${escapeHtmlText(n)}`).join('\n'));
  if (s.apply) blocks.push(`To apply after merge: \`${s.apply}\``);
  return blocks;
}

export interface MarkdownOptions {
  /** The comment size limit; GitHub's by default. */
  readonly maxChars?: number;
}

/**
 * Markdown for a pull-request comment: a table with one row per section, then each section as a
 * collapsible `<details>` (open when it is blocked or has drift). Kept within GitHub's comment
 * limit: past it, whole blocks (table chunks, diffs) are left out and a note at the end says how
 * many and where the whole plan is.
 */
export function renderOrganizationPlanMarkdown(
  plan: OrganizationPlan,
  options: MarkdownOptions = {},
): string {
  const max = options.maxChars ?? GITHUB_COMMENT_MAX_CHARS;
  const head: string[] = ['### orgbridge plan', ''];
  head.push('| section | status | changes | drift | blocked |', '|---|---|---:|---:|---:|');
  for (const s of plan.sections) {
    head.push(
      `| ${escapeMarkdownCell(s.title)} | ${STATUS_LABEL[s.status]} | ${s.changes.length} | ${s.drift.length} | ${s.blocked.length} |`,
    );
  }
  head.push('');
  if (plan.summary.exitCode === 0) head.push('**Nothing to do**: AWS matches the configuration.', '');
  const foot = `_${escapeHtmlText(organizationSummaryLine(plan))}_`;
  const truncationNote = (left: number) =>
    `> :scissors: **Truncated**: ${left} part${left === 1 ? '' : 's'} of this plan left out to stay within GitHub's comment limit of ${max.toLocaleString('en-US')} characters. Run \`orgbridge plan\` (or see the CI log) for the whole plan.`;
  // Room kept for the closing tags, the truncation note and the footer.
  const reserve = truncationNote(999_999).length + foot.length + 64;

  let out = head.join('\n');
  let left = 0;
  // Once one block did not fit, the sections after it are left out whole (in order, no gaps).
  let full = false;
  for (const s of plan.sections) {
    const open = s.status === 'blocked' || s.status === 'failed' || s.drift.length > 0 ? ' open' : '';
    const opening = `\n<details${open}><summary><b>${escapeHtmlText(s.title)}</b>: ${escapeHtmlText(s.summary)}</summary>\n\n`;
    const closing = '\n\n</details>\n';
    const blocks = markdownBlocks(s);
    if (full || out.length + opening.length + closing.length + reserve > max) {
      left += blocks.length + 1;
      full = true;
      continue;
    }
    out += opening;
    let body = '';
    for (const [i, block] of blocks.entries()) {
      const piece = `${body ? '\n\n' : ''}${block}`;
      if (out.length + body.length + piece.length + closing.length + reserve > max) {
        left += blocks.length - i;
        full = true;
        body += `${body ? '\n\n' : ''}_(${blocks.length - i} more left out: comment size limit)_`;
        break;
      }
      body += piece;
    }
    out += `${body || '_Nothing to do._'}${closing}`;
  }
  out += `\n${left ? `${truncationNote(left)}\n\n` : ''}${foot}`;
  return out;
}
