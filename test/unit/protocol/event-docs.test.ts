import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEventsDoc } from '../../../scripts/events-doc.js';
import {
  DETAIL_TYPES,
  NOTIFICATION_TYPES,
  REPLY_TYPE,
  REQUEST_TYPES,
  REQUESTS,
} from '../../../src/protocol/catalog.js';
import {
  ACCOUNT_KINDS,
  allowedSenderKinds,
  DNS_REQUEST_TYPES,
  handledRequestTypes,
} from '../../../src/protocol/routing.js';

describe('event descriptors and docs/events.md', () => {
  it('docs/events.md is current with the descriptors and fragments (npm run docs:events)', () => {
    const page = readFileSync('docs/events.md', 'utf8');
    expect(page).toBe(renderEventsDoc(page));
  });

  it('every detail-type and notification has exactly one doc fragment, and no fragment is left over', () => {
    const fragments = readdirSync('src/protocol/event-docs')
      .map((f) => f.replace(/\.md$/, ''))
      .sort();
    expect(fragments).toEqual([...DETAIL_TYPES, ...NOTIFICATION_TYPES].sort());
  });

  it('routing, replies and the DNS forward rule are what the descriptors say', () => {
    for (const type of REQUEST_TYPES) {
      const d = REQUESTS[type];
      const kinds = d.handledBy === 'every' ? ACCOUNT_KINDS : d.handledBy;
      for (const kind of kinds) {
        expect(handledRequestTypes(kind), `${kind} handles ${type}`).toContain(type);
        expect(allowedSenderKinds(kind, type)).toEqual(
          d.senders === 'cicd' ? ['cicd'] : expect.arrayContaining(['member', 'cicd']),
        );
      }
      expect(REPLY_TYPE[type]).toBe(d.reply);
    }
    // Requests from any account are forwarded to the DNS account by one rule per account.
    expect([...DNS_REQUEST_TYPES].sort()).toEqual(['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD']);
    expect(handledRequestTypes('member')).not.toContain('CREATE_ACCOUNT');
  });
});
