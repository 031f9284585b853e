import type { HandlerRegistration } from './types.js';

/** PING -> PONG: the health check every kind of account answers (no AWS call). */
export const pingHandler: HandlerRegistration<'PING'> = {
  async handle(detail, ctx) {
    return { responder_kind: ctx.account.kind, ...(detail.message ? { message: detail.message } : {}) };
  },
};
