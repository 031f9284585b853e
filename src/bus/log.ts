/**
 * What messaging code logs through: structured, one line per event. Powertools' Logger satisfies
 * it in Lambda; `silentLog` and test collectors elsewhere. Library code never prints.
 */
export interface MessagingLog {
  info(message: string, extra?: Readonly<Record<string, unknown>>): void;
  warn(message: string, extra?: Readonly<Record<string, unknown>>): void;
  error(message: string, extra?: Readonly<Record<string, unknown>>): void;
}

export const silentLog: MessagingLog = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
