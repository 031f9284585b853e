/**
 * Writes the generated parts of docs/events.md (the routing table and the catalog) from the
 * request descriptors (REQUESTS in src/protocol/catalog.ts) and the prose and examples of each
 * detail-type (src/protocol/event-docs/<TYPE>.md):
 *
 *   npm run docs:events
 *
 * test/unit/protocol/event-docs.test.ts fails when the committed page differs from what this
 * renders, or when a detail-type has no page of its own.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AccountKind } from '../src/config/model.js';
import {
  type DetailType,
  NOTIFICATION_TYPES,
  type NotificationType,
  REPLY_TYPE,
  REQUEST_TYPES,
  REQUESTS,
  RESPONSE_TYPES,
  type RequestType,
} from '../src/protocol/catalog.js';
import { ACCOUNT_KINDS } from '../src/protocol/routing.js';

const DOC = new URL('../docs/events.md', import.meta.url);
const code = (s: string) => `\`${s}\``;

export function eventDocFragment(type: DetailType | NotificationType): string {
  return readFileSync(new URL(`../src/protocol/event-docs/${type}.md`, import.meta.url), 'utf8').trim();
}

const handledBy = (type: RequestType) => {
  const h = REQUESTS[type].handledBy;
  return h === 'every' ? 'every kind' : h.join(', ');
};
const senders = (type: RequestType) =>
  REQUESTS[type].senders === 'cicd' ? 'cicd' : 'any account of the organization';

function routingTable(): string {
  const every = REQUEST_TYPES.filter((t) => REQUESTS[t].handledBy === 'every');
  const rows = [
    ['every kind', every],
    ...ACCOUNT_KINDS.map(
      (kind: AccountKind) =>
        [
          kind,
          REQUEST_TYPES.filter((t) => (REQUESTS[t].handledBy as readonly string[]).includes(kind)),
        ] as const,
    ).filter(([, types]) => types.length > 0),
  ] as const;
  const lines = ['| account kind | handles | accepted senders |', '|---|---|---|'];
  for (const [kind, types] of rows) {
    const who = (s: string) => (s === 'cicd' ? 'cicd' : 'any account of the organization');
    const groups = ['cicd', 'organization']
      .map((s) => [s, types.filter((t) => REQUESTS[t].senders === s)] as const)
      .filter(([, list]) => list.length > 0);
    const accepted =
      groups.length === 1
        ? who(groups[0]?.[0] as string)
        : groups.map(([s, list]) => `${list.map(code).join(', ')}: ${who(s)}`).join('; ');
    lines.push(`| ${kind} | ${types.map(code).join(', ')} | ${accepted} |`);
  }
  lines.push(
    `| cicd (reply queue) | the answers: ${RESPONSE_TYPES.map(code).join(', ')} | every account, into the reply queue |`,
  );
  return lines.join('\n');
}

function catalog(): string {
  const parts = ['One example detail per type (a unit test parses each against its schema).', ''];
  for (const type of REQUEST_TYPES) {
    parts.push(
      `### ${code(type)}`,
      '',
      `request; handled by: ${handledBy(type)}; sent by: ${senders(type)}; answered by ${code(REPLY_TYPE[type])} (or ${code('REQUEST_FAILED')}).`,
      '',
      eventDocFragment(type),
      '',
    );
  }
  for (const type of RESPONSE_TYPES) {
    const answers = REQUEST_TYPES.filter((t) => REPLY_TYPE[t] === type);
    const of = type === 'REQUEST_FAILED' ? 'every request' : answers.map(code).join(', ');
    parts.push(
      `### ${code(type)}`,
      '',
      `response, to the cicd account's reply queue; answers ${of}.`,
      '',
      eventDocFragment(type),
      '',
    );
  }
  for (const type of NOTIFICATION_TYPES) {
    parts.push(
      `### ${code(type)}`,
      '',
      "notification, from every account's handler runtime to the audit store; nobody handles or answers it.",
      '',
      eventDocFragment(type),
      '',
    );
  }
  return parts.join('\n').trimEnd();
}

/** Replaces the text between `<!-- generated: NAME -->` and `<!-- /generated -->`. */
function fill(page: string, name: string, body: string): string {
  const open = `<!-- generated: ${name} (npm run docs:events) -->`;
  const start = page.indexOf(open);
  const end = page.indexOf('<!-- /generated -->', start);
  if (start < 0 || end < 0) throw new Error(`docs/events.md lacks the markers of ${name}`);
  return `${page.slice(0, start + open.length)}\n\n${body}\n\n${page.slice(end)}`;
}

export function renderEventsDoc(page: string): string {
  return fill(fill(page, 'routing', routingTable()), 'catalog', catalog());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOC, renderEventsDoc(readFileSync(DOC, 'utf8')));
}
