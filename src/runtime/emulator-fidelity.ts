import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * moto re-stamps `account` with the RECEIVING account when a rule forwards an event to another
 * account's bus (moto/events/models.py: put_events sets `event_msg["account"] = self.account_id`).
 * AWS keeps the account that put the event (the seed's receiving rules match
 * `account: [SourceAccountId]`), and orgbridge's runtime authorises senders by that field. This
 * patch makes moto keep it, so the sender check is exercised on the emulator as it runs in AWS.
 *
 * It is loaded as `sitecustomize` (Python imports it at start-up from PYTHONPATH), so it applies
 * to any moto launcher without changing how moto is started.
 */
export const MOTO_FIDELITY_PATCH = `
# orgbridge: keep the original \`account\` on events forwarded across accounts, as AWS does.
import threading
try:
    import moto.events.models as _events
except Exception:  # moto not installed: nothing to patch
    _events = None
if _events is not None:
    _origin = threading.local()
    _send_to_targets = _events.Rule.send_to_targets

    def _orgbridge_send_to_targets(self, event, transform_input=True):
        origin = getattr(_origin, "account", None)
        if origin is not None and event.get("account") != origin:
            event = dict(event)
            event["account"] = origin
        _origin.account = event.get("account")
        try:
            return _send_to_targets(self, event, transform_input)
        finally:
            _origin.account = origin

    _events.Rule.send_to_targets = _orgbridge_send_to_targets
`;

/**
 * Writes the patch as `sitecustomize.py` in a private directory and returns the PYTHONPATH that
 * loads it (prepended to `current`). Give it to the moto process's environment.
 */
export function motoFidelityPythonPath(current: string | undefined = process.env.PYTHONPATH): string {
  const dir = join(tmpdir(), 'orgbridge-moto-fidelity');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sitecustomize.py'), MOTO_FIDELITY_PATCH);
  return current ? `${dir}${delimiter}${current}` : dir;
}
