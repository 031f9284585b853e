import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrgbridgeError } from '../errors.js';

/**
 * moto server, the AWS API emulator, started on 127.0.0.1 for local mode and integration tests,
 * through a launcher that patches moto before it starts. Each patch is one block below, with the
 * AWS rule it reproduces; test/integration/emulator-fidelity.test.ts states each rule as a test.
 *
 * 1. Speed (SPEED_PATCH), none of it visible to a client. As shipped, moto re-parses every
 *    InputPath/jsonpath on each delivery and a PutEvents of 10 entries takes ~4 s; memoised it
 *    takes ~15 ms (measured with moto 5.2 on two cores). And, found by sampling the server's
 *    threads during `orgbridge local`: every request lists moto's package folder (one `isdir`
 *    per service) while holding the lock all requests wait for; every error response builds the
 *    table of all botocore services; requests arriving together each load the same service
 *    model; each message an SQS receive returns rebuilds all the queue's attributes (counting its
 *    messages) to read its retention period; each request is logged (and its access-log line
 *    formatted although the logger drops it); each request finds the account of its access key
 *    by scanning the IAM backends of every account (moto/iam/models.py get_account_id_from: at
 *    300 accounts, most of a ListTagsForResource's time; the patch remembers where a key was
 *    found, and that a key was in no account until a key is added anywhere); each request lists
 *    its response class's methods with `inspect`; CloudFormation templates go through
 *    the pure-Python YAML parser although they are JSON; each KMS key (one per DynamoDB table)
 *    generates an RSA key pair nothing here signs with; each EC2 region loads its AMI catalogue
 *    (MOTO_EC2_LOAD_DEFAULT_AMIS=false). Together about 40 % of the emulator's CPU time there.
 *    And werkzeug, moto's HTTP server, closes the connection after every answer ("They aren't
 *    handled well by Python's http.server because it doesn't know how to drain the stream
 *    before the next request line", werkzeug/serving.py): a new TCP connection and a new
 *    thread for every request. The patch reads each request's body to its Content-Length
 *    after the answer and keeps the connection open (a chunked body still closes it).
 * 2. Fidelity: moto re-stamps `account` with the RECEIVING account when a rule forwards an event
 *    to another account's bus (moto/events/models.py: put_events sets
 *    `event_msg["account"] = self.account_id`). AWS keeps the account that put the event (the
 *    EventBridge design's receiving rules match `account: [SourceAccountId]`), and orgbridge's runtime
 *    authorises senders by that field, so the patch keeps it.
 * 3. EventBridge as strict as AWS where orgbridge relies on it (EVENTBRIDGE_PATCH).
 * 4. CloudFormation: a failing resource fails the stack instead of an HTTP 500, a template
 *    without resources is refused as AWS refuses it, StackSets trusted access with Organizations
 *    exists, and termination protection can be changed and stops DeleteStack
 *    (CLOUDFORMATION_PATCH).
 * 5. SQS queue policies enforced, and RedriveAllowPolicy (SQS_POLICY_PATCH).
 * 6. Organizations refuses a second account with a used email (ORGANIZATIONS_EMAIL_PATCH).
 * 7. Route 53 lists zones from a name in AWS's order and refuses a used caller reference
 *    (ROUTE53_PATCH).
 * 8. The Support API answers as it does for an account on the Basic support plan (SUPPORT_PATCH).
 *
 * moto's request recorder (https://docs.getmoto.org/en/latest/docs/configuration/recorder/index.html,
 * off until `/moto-api/recorder/start-recording`) writes to a file beside the server's log
 * instead of `moto_recording` in the working directory; the peer benchmark counts calls with it.
 */
const SPEED_PATCH = `
import functools, logging, sys, threading
import jsonpath_ng.ext as e
e.parse = functools.lru_cache(maxsize=4096)(e.parse)

import moto.backends as _sp_backends
_sp_modules = tuple(_sp_backends.list_of_moto_modules())
_sp_backends.list_of_moto_modules = lambda: _sp_modules

import moto.core.base_backend as _sp_base
_sp_create = _sp_base.BackendDict._create_account_specific_backend

def _orgbridge_account_backend(self, account_id):
    if account_id not in self:
        _sp_create(self, account_id)

_sp_base.BackendDict._create_account_specific_backend = _orgbridge_account_backend

logging.getLogger("werkzeug").setLevel(logging.WARNING)

import moto.core.utils as _sp_utils
import moto.core.responses as _sp_responses
_sp_utils.service_name_from_moto_package_name = functools.lru_cache(maxsize=None)(_sp_utils.service_name_from_moto_package_name)
_sp_model_lock = threading.Lock()

def _sp_one_at_a_time(load):
    done = {}
    def loaded(name):
        if name not in done:
            with _sp_model_lock:
                if name not in done:
                    done[name] = load(name)
        return done[name]
    return loaded

for _sp_name in ("get_service_model", "get_pagination_model"):
    _sp_loader = _sp_one_at_a_time(getattr(_sp_utils, _sp_name))
    setattr(_sp_utils, _sp_name, _sp_loader)
    setattr(_sp_responses, _sp_name, _sp_loader)

import json as _sp_json, types as _sp_types, yaml as _sp_yaml
import moto.cloudformation.models as _sp_cfn
import moto.cloudformation.responses as _sp_cfn_responses

def _orgbridge_template_load(text, Loader=None):
    try:
        return _sp_json.loads(text)
    except (TypeError, ValueError):
        return _sp_yaml.load(text, Loader=Loader)

_sp_cfn_yaml = _sp_types.SimpleNamespace(**{k: getattr(_sp_yaml, k) for k in dir(_sp_yaml) if not k.startswith("__")})
_sp_cfn_yaml.load = _orgbridge_template_load
_sp_cfn.yaml = _sp_cfn_responses.yaml = _sp_cfn_yaml

import moto.kms.models as _sp_kms
_sp_generate_key = _sp_kms.generate_private_key

class _SpLazyKey:
    def __init__(self, key_spec):
        self._spec, self._key = key_spec, None
    def __getattr__(self, name):
        if self._key is None:
            self._key = _sp_generate_key(self._spec)
        return getattr(self._key, name)

_sp_kms.generate_private_key = _SpLazyKey

import time as _sp_time
import moto.sqs.models as _sp_sqs
_sp_unix_time, _sp_unix_time_millis = _sp_sqs.unix_time, _sp_sqs.unix_time_millis
_sp_sqs.unix_time = lambda dt=None: _sp_time.time() if dt is None else _sp_unix_time(dt)
_sp_sqs.unix_time_millis = lambda dt=None: _sp_time.time() * 1000 if dt is None else _sp_unix_time_millis(dt)

def _orgbridge_within_retention(self, queue_name, message):
    retention = int(getattr(self.get_queue(queue_name), "message_retention_period"))
    return retention + message.sent_timestamp / 1000 > _sp_time.time()

_sp_sqs.SQSBackend.is_message_valid_based_on_retention_period = _orgbridge_within_retention

import moto.iam.models as _sp_iam
_sp_key_generation = [0]
_sp_key_found = {}
_sp_key_missing = {}

class _SpAccessKeys(dict):
    def __setitem__(self, key, value):
        _sp_key_generation[0] += 1
        super().__setitem__(key, value)

_sp_iam_init = _sp_iam.IAMBackend.__init__

def _orgbridge_iam_init(self, *args, **kwargs):
    _sp_iam_init(self, *args, **kwargs)
    self.access_keys = _SpAccessKeys(self.access_keys)
    _sp_key_generation[0] += 1

_sp_iam.IAMBackend.__init__ = _orgbridge_iam_init

def _orgbridge_account_id_from(access_key):
    account_id = _sp_key_found.get(access_key)
    if account_id is not None and account_id in _sp_iam.iam_backends:
        account = _sp_iam.iam_backends[account_id]
        for partition in _sp_iam.PARTITION_NAMES:
            if access_key in account[partition].access_keys:
                return account_id
    generation = _sp_key_generation[0]
    if _sp_key_missing.get(access_key) == generation:
        return _sp_iam.DEFAULT_ACCOUNT_ID
    for account_id, account in list(_sp_iam.iam_backends.items()):
        for partition in _sp_iam.PARTITION_NAMES:
            if access_key in account[partition].access_keys:
                _sp_key_found[access_key] = account_id
                return account_id
    _sp_key_missing[access_key] = generation
    return _sp_iam.DEFAULT_ACCOUNT_ID

_sp_iam.get_account_id_from = _orgbridge_account_id_from

_sp_method_names = {}
_sp_method_names_from_class = _sp_responses.method_names_from_class

def _orgbridge_method_names(clazz):
    names = _sp_method_names.get(clazz)
    if names is None:
        names = _sp_method_names[clazz] = frozenset(_sp_method_names_from_class(clazz))
    return names

_sp_responses.method_names_from_class = _orgbridge_method_names

import werkzeug.serving as _ka_serving
from werkzeug.wsgi import LimitedStream as _KaLimited

_ka_make_environ = _ka_serving.WSGIRequestHandler.make_environ

def _orgbridge_make_environ(self):
    environ = _ka_make_environ(self)
    self._orgbridge_keep_alive = False
    if not environ.get("wsgi.input_terminated"):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length >= 0:
            environ["wsgi.input"] = _KaLimited(self.rfile, length)
            environ["wsgi.input_terminated"] = True
            self._orgbridge_keep_alive = self.close_connection is False
    return environ

_ka_serving.WSGIRequestHandler.make_environ = _orgbridge_make_environ
_ka_log_request = _ka_serving.WSGIRequestHandler.log_request

def _orgbridge_log_request(self, code="-", size="-"):
    if logging.getLogger("werkzeug").isEnabledFor(logging.INFO):
        _ka_log_request(self, code, size)

_ka_serving.WSGIRequestHandler.log_request = _orgbridge_log_request
# Headers and body leave in separate writes: without TCP_NODELAY a kept-open connection waits
# for the client's delayed ACK (tens of ms) before each body.
_ka_serving.WSGIRequestHandler.disable_nagle_algorithm = True

_ka_send_header = _ka_serving.WSGIRequestHandler.send_header

def _orgbridge_send_header(self, keyword, value):
    if keyword == "Connection" and value == "close":
        if getattr(self, "_orgbridge_keep_alive", False):
            return
        self.close_connection = True
    return _ka_send_header(self, keyword, value)

_ka_serving.WSGIRequestHandler.send_header = _orgbridge_send_header

class _KaNoDrain:
    def register(self, *args, **kwargs):
        pass
    def select(self, timeout=None):
        return []
    def close(self):
        pass

_ka_serving.selectors = _sp_types.SimpleNamespace(DefaultSelector=_KaNoDrain, EVENT_READ=1)

import moto.moto_server.werkzeug_app as _ka_app
_ka_call = _ka_app.DomainDispatcherApplication.__call__

def _orgbridge_call(self, environ, start_response):
    try:
        return _ka_call(self, environ, start_response)
    finally:
        stream = environ.get("wsgi.input")
        if isinstance(stream, _KaLimited):
            stream.exhaust()

_ka_app.DomainDispatcherApplication.__call__ = _orgbridge_call
`;

const ORIGIN_ACCOUNT_PATCH = `
import moto.events.models as _events
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
 * EventBridge rules moto does not apply, each reproduced here (all on the same thread-local
 * `_eb`, since moto delivers synchronously: a rule's bus target calls put_events of the target
 * backend inside the rule's own send_to_targets):
 *
 * - The hop rule: "If a receiver account sets up a rule that sends events received from a sender
 *   account on to a third account, these events are not sent to the third account", and the same
 *   for a third bus of one account
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html). An event
 *   that reached a bus from another bus, or from another account's PutEvents, is not delivered
 *   to any further bus target; the drop is logged.
 * - Resource policies: cross-account PutEvents, direct (an EventBusName that is another account's
 *   bus ARN, which moto otherwise delivers to the caller's own bus of that name) or by a rule
 *   target, needs a statement of the target bus allowing `events:PutEvents` to that account
 *   (`arn:aws:iam::<id>:root`, or `*` with `aws:PrincipalOrgID` of the sender's organization;
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html). A direct
 *   put is refused with AccessDeniedException; a rule's delivery fails.
 * - A rule target's delivery that fails (no such bus, no permission) goes to the target's
 *   DeadLetterConfig queue with the ERROR_CODE, ERROR_MESSAGE, RULE_ARN and TARGET_ARN message
 *   attributes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq);
 *   moto accepts the setting and ignores it.
 * - AWS::Events::EventBusPolicy in CloudFormation (moto skips it, so templates' bus policies
 *   would never apply and every cross-account delivery would be refused).
 * - The default input of a target is the whole event, `account` included (moto's default
 *   template leaves it out): the audit store keeps the untouched event.
 *
 * Not reproduced: that a rule forwarding to a bus which grants the organization (rather than
 * the sending account) needs a RoleArn, and IAM evaluation of that role.
 */
const EVENTBRIDGE_PATCH = String.raw`
import json as _eb_json, uuid as _eb_uuid, fnmatch as _eb_fnmatch
import moto.events.models as _eb_models
import moto.events.utils as _eb_utils
from moto.core.common_models import CloudFormationModel as _EbCfnModel
from moto.core.exceptions import JsonRESTError as _EbJsonError
from moto.organizations.models import organizations_backends as _eb_orgs

_eb = threading.local()

def _eb_note(message):
    sys.stderr.write("orgbridge-emulator: " + message + "\n")
    sys.stderr.flush()

class _EbAccessDenied(_EbJsonError):
    code = 400
    def __init__(self, message):
        super().__init__("AccessDeniedException", message)

def _eb_org_id(account_id):
    try:
        found = _eb_orgs.master_accounts.get(account_id)
        org = _eb_orgs[found[0]][found[1]].org if found else _eb_orgs[account_id]["aws"].org
        return org.id if org else None
    except Exception:
        return None

def _eb_listed(value):
    return value if isinstance(value, list) else [value]

def _eb_principal_accounts(principal):
    if principal == "*":
        return ["*"]
    values = principal.get("AWS", []) if isinstance(principal, dict) else principal
    accounts = []
    for value in _eb_listed(values):
        if value == "*":
            accounts.append("*")
        elif value.startswith("arn:"):
            parts = value.split(":")
            if len(parts) == 6 and parts[5] == "root":
                accounts.append(parts[4])
        else:
            accounts.append(value)
    return accounts

def _eb_conditions_hold(condition, sender):
    for operator, block in (condition or {}).items():
        for key, expected in block.items():
            if key == "aws:PrincipalOrgID":
                actual = _eb_org_id(sender)
            elif key == "aws:PrincipalAccount":
                actual = sender
            else:
                _eb_note("bus policy condition key " + key + " is not emulated: the statement does not apply")
                return False
            if operator not in ("StringEquals", "StringLike"):
                _eb_note("bus policy condition operator " + operator + " is not emulated")
                return False
            if actual is None:
                return False
            match = (lambda v: _eb_fnmatch.fnmatchcase(actual, v)) if operator == "StringLike" else (lambda v: actual == v)
            if not any(match(v) for v in _eb_listed(expected)):
                return False
    return True

def _eb_statement_applies(statement, bus, sender):
    actions = _eb_listed(statement.get("Action"))
    if not any(a in ("events:PutEvents", "events:*") for a in actions):
        return False
    resources = _eb_listed(statement.get("Resource", bus.arn))
    if not any(_eb_fnmatch.fnmatchcase(bus.arn, r) for r in resources):
        return False
    accounts = _eb_principal_accounts(statement.get("Principal"))
    if sender not in accounts and "*" not in accounts:
        return False
    return _eb_conditions_hold(statement.get("Condition"), sender)

def _eb_policy_allows(bus, sender):
    if sender == bus.account_id:
        return True
    statements = [s.describe() for s in bus._statements.values()]
    if any(s.get("Effect") == "Deny" and _eb_statement_applies(s, bus, sender) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and _eb_statement_applies(s, bus, sender) for s in statements)

def _eb_bus_arn_parts(name):
    if not name or not name.startswith("arn:"):
        return None
    parts = name.split(":", 5)
    return parts[4], parts[3], parts[5].split("/", 1)[-1]

def _eb_event_json(rule, entry):
    try:
        detail = _eb_json.loads(entry.get("Detail") or "{}")
    except ValueError:
        detail = entry.get("Detail")
    return {
        "version": "0", "id": str(_eb_uuid.uuid4()), "detail-type": entry.get("DetailType"),
        "source": entry.get("Source"), "account": getattr(_origin, "account", None) or rule.account_id,
        "region": rule.region_name, "resources": [], "detail": detail,
    }

def _eb_dead_letter(rule, target_arn, entry, code, message, body=None):
    target = next((t for t in rule.targets if t.get("Arn") == target_arn), {})
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        _eb_note(rule.arn + " -> " + target_arn + " failed (" + code + ": " + message + "), no dead-letter queue: dropped")
        return
    from moto.sqs import sqs_backends
    parts = dlq.split(":")
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (("ERROR_CODE", code), ("ERROR_MESSAGE", message), ("RULE_ARN", rule.arn),
                            ("TARGET_ARN", target_arn), ("RETRY_ATTEMPTS", "0"))
    }
    try:
        sqs_backends[parts[4]][parts[3]].send_message(
            queue_name=parts[5], message_body=body or _eb_json.dumps(_eb_event_json(rule, entry)),
            message_attributes=attributes)
    except Exception as error:
        _eb_note(rule.arn + ": dead-letter queue " + dlq + " refused the event: " + str(error))

_eb_put_events = _eb_models.EventsBackend.put_events

def _eb_deliver_from_rule(backend, rule, events):
    entry = events[0]
    name = entry.get("EventBusName")
    target_arn = "arn:aws:events:" + backend.region_name + ":" + backend.account_id + ":event-bus/" + name
    depth = getattr(_eb, "depth", 0)
    if depth >= 1:
        _eb_note("hop rule: " + rule.arn + " did not send to " + target_arn + ": the event came from another bus")
        return []
    bus = backend.event_buses.get(name)
    if bus is None:
        _eb_dead_letter(rule, target_arn, entry, "ResourceNotFoundException", "Event bus " + name + " does not exist.")
        return []
    if not _eb_policy_allows(bus, rule.account_id):
        _eb_dead_letter(rule, target_arn, entry, "NO_PERMISSIONS",
                        "the policy of " + target_arn + " does not allow events:PutEvents from " + rule.account_id)
        return []
    _eb.depth = depth + 1
    try:
        return _eb_put_events(backend, events)
    finally:
        _eb.depth = depth

def _eb_put_cross_account(backend, entry, where):
    account, region, name = where
    target_backend = _eb_models.events_backends[account][region]
    bus = target_backend.event_buses.get(name)
    if bus is None or not _eb_policy_allows(bus, backend.account_id):
        raise _EbAccessDenied(
            "User: arn:aws:iam::" + backend.account_id + ":root is not authorized to perform: events:PutEvents on resource: "
            + entry["EventBusName"] + " because no resource-based policy allows the events:PutEvents action")
    return target_backend, dict(entry, EventBusName=name)

def _orgbridge_put_events(self, events):
    rule = getattr(_eb, "rule", None)
    if rule is not None:
        return _eb_deliver_from_rule(self, rule, events)
    if len(events) > 10:
        return _eb_put_events(self, events)
    plan = []
    for entry in events:
        where = _eb_bus_arn_parts(entry.get("EventBusName"))
        if where is None or (where[0] == self.account_id and where[1] == self.region_name):
            plan.append((None, entry))
        else:
            plan.append(_eb_put_cross_account(self, entry, where))
    results = []
    for target_backend, entry in plan:
        if target_backend is None:
            results.extend(_eb_put_events(self, [entry]))
            continue
        previous_origin, previous_depth = getattr(_origin, "account", None), getattr(_eb, "depth", 0)
        _origin.account, _eb.depth = self.account_id, 1
        try:
            results.extend(_eb_put_events(target_backend, [entry]))
        finally:
            _origin.account, _eb.depth = previous_origin, previous_depth
    return results

_eb_models.EventsBackend.put_events = _orgbridge_put_events

_eb_send_to_targets = _eb_models.Rule.send_to_targets

def _orgbridge_rule_send(self, event, transform_input=True):
    previous = getattr(_eb, "rule", None)
    _eb.rule = self
    try:
        return _eb_send_to_targets(self, event, transform_input)
    finally:
        _eb.rule = previous

_eb_models.Rule.send_to_targets = _orgbridge_rule_send

_eb_utils.EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
    '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, "detail": <detail>}'
)

class _OrgbridgeEventBusPolicy(_EbCfnModel):
    # moto's model metaclass finds the service by module name.
    __module__ = "moto.events.orgbridge"

    def __init__(self, account_id, region_name, bus_name, sid):
        self.account_id, self.region_name, self.bus_name, self.sid = account_id, region_name, bus_name, sid

    @staticmethod
    def cloudformation_type():
        return "AWS::Events::EventBusPolicy"

    @staticmethod
    def cloudformation_name_type():
        return "StatementId"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    @property
    def physical_resource_id(self):
        return self.bus_name + "|" + self.sid

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        bus_name = properties.get("EventBusName", "default")
        sid = properties["StatementId"]
        bus = _eb_models.events_backends[account_id][region_name]._get_event_bus(bus_name)
        statement = dict(properties.get("Statement") or {
            "Effect": "Allow", "Action": properties.get("Action", "events:PutEvents"),
            "Principal": {"AWS": "arn:aws:iam::" + properties.get("Principal", "") + ":root"},
        })
        statement["Sid"] = sid
        statement.setdefault("Resource", bus.arn)
        bus._statements[sid] = _eb_models.EventBusPolicyStatement.from_dict(statement)
        return cls(account_id, region_name, bus_name, sid)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        properties = cloudformation_json["Properties"]
        cls(account_id, region_name, properties.get("EventBusName", "default"), properties["StatementId"]).delete(account_id, region_name)

    def delete(self, account_id, region_name):
        bus = _eb_models.events_backends[account_id][region_name].event_buses.get(self.bus_name)
        if bus is not None:
            bus.remove_statement(self.sid)
`;

/**
 * SQS queue policies, which moto stores and never evaluates, enforced for the calls that carry
 * messages (SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility and their
 * batches), as IAM evaluates a resource-based policy
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-using-identity-based-policies.html):
 *
 * - An explicit Deny that applies refuses the call with AccessDenied, whoever the caller.
 * - A caller of the queue's own account is otherwise allowed (moto has no identity policies to
 *   refuse it); a caller of another account needs an Allow of the queue policy naming it. moto
 *   otherwise answers every caller from its own account's queue of that name, whatever account
 *   the QueueUrl names; the patch serves the QueueUrl's account.
 * - The caller is the principal of the request's access key: an assumed role (aws:PrincipalArn
 *   is the role's ARN), an IAM user, or the account itself for moto's default credentials.
 * - EventBridge delivering to a queue target is `events.amazonaws.com` with aws:SourceArn of the
 *   rule; a refused delivery goes to the target's dead-letter queue (patch 3) with NO_PERMISSIONS.
 * - Conditions: aws:SourceArn, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID and
 *   aws:SecureTransport (always true: the emulator's plain HTTP stands in for TLS), with the
 *   String, Arn and Bool operators; negated operators hold when the key is absent, as in IAM. A
 *   statement with another key does not apply (logged).
 *
 * Redrive into a DLQ is SQS's own move, never a SendMessage, so no policy applies to it.
 *
 * Not reproduced: that EventBridge needs an Allow to deliver to a queue that has no policy at all
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions);
 * tests make such queues bare, and every queue orgbridge makes has its policy.
 */
const SQS_POLICY_PATCH = `
import moto.sqs.models as _sq_models
import moto.sqs.responses as _sq_responses
from moto.sqs.exceptions import SQSException as _SqException
from moto.sts.models import sts_backends as _sq_sts
from moto.iam.models import iam_backends as _sq_iam

class _SqAccessDenied(_SqException):
    code = "AccessDenied"
    def __init__(self, message):
        super().__init__("AccessDenied", message)

_SQ_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}

def _sq_value_matches(operator, actual, expected):
    base = operator.replace("Not", "")
    if base in ("StringLike", "ArnLike"):
        return any(_eb_fnmatch.fnmatchcase(actual, v) for v in _eb_listed(expected))
    if base == "Bool":
        return any(str(actual).lower() == str(v).lower() for v in _eb_listed(expected))
    return any(actual == v for v in _eb_listed(expected))

def _sq_conditions_hold(condition, caller):
    for operator, block in (condition or {}).items():
        for key, expected in block.items():
            if key not in caller["keys"] and key not in ("aws:SourceArn", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID"):
                _eb_note("queue policy condition key " + key + " is not emulated: the statement does not apply")
                return False
            if operator not in _SQ_NEGATED and operator not in ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool"):
                _eb_note("queue policy condition operator " + operator + " is not emulated: the statement does not apply")
                return False
            actual = caller["keys"].get(key)
            if actual is None:
                if operator not in _SQ_NEGATED:
                    return False
                continue
            matched = _sq_value_matches(operator, actual, expected)
            if matched == (operator in _SQ_NEGATED):
                return False
    return True

def _sq_principal_matches(principal, caller):
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    aws = _eb_listed(principal.get("AWS", []))
    if "*" in aws:
        return True
    if caller.get("service"):
        return caller["service"] in _eb_listed(principal.get("Service", []))
    for value in aws:
        if value in (caller["account"], "arn:aws:iam::" + caller["account"] + ":root", caller["keys"].get("aws:PrincipalArn")):
            return True
    return False

def _sq_statement_applies(statement, action, queue_arn, caller):
    actions = [a.lower() for a in _eb_listed(statement.get("Action", []))]
    if not any(_eb_fnmatch.fnmatchcase(action.lower(), a) for a in actions):
        return False
    if not any(_eb_fnmatch.fnmatchcase(queue_arn, r) for r in _eb_listed(statement.get("Resource", queue_arn))):
        return False
    return _sq_principal_matches(statement.get("Principal"), caller) and _sq_conditions_hold(statement.get("Condition"), caller)

def _sq_refusal(queue, action, caller):
    """None when the policy of queue lets caller do action, else the AccessDenied message."""
    try:
        statements = _eb_listed((_eb_json.loads(queue.policy) if queue.policy else {}).get("Statement", []))
    except ValueError:
        statements = []
    who = caller.get("service") or caller["keys"].get("aws:PrincipalArn")
    denied = "User: " + str(who) + " is not authorized to perform: " + action + " on resource: " + queue.queue_arn
    if any(s.get("Effect") == "Deny" and _sq_statement_applies(s, action, queue.queue_arn, caller) for s in statements):
        return denied + " with an explicit deny in a resource-based policy"
    if caller["account"] == queue.account_id and (not caller.get("service") or not statements):
        return None
    if any(s.get("Effect") == "Allow" and _sq_statement_applies(s, action, queue.queue_arn, caller) for s in statements):
        return None
    return denied + " because no resource-based policy allows the " + action + " action"

def _sq_caller(response):
    account, key = response.current_account, response.get_access_key()
    principal = "arn:aws:iam::" + account + ":root"
    try:
        role = _sq_sts[account]["aws"].get_assumed_role_from_access_key(key)
        if role is not None:
            principal = role.role_arn
        else:
            user = _sq_iam[account]["aws"].get_user_from_access_key_id(key)
            if user is not None:
                principal = user.arn
    except Exception:
        pass
    return {"account": account, "keys": {"aws:PrincipalArn": principal, "aws:PrincipalAccount": account,
            "aws:PrincipalOrgID": _eb_org_id(account), "aws:SecureTransport": "true"}}

def _sq_guard(action):
    def wrap(method):
        def guarded(self):
            caller = _sq_caller(self)
            url = self._get_param("QueueUrl") or ""
            owner = url.rstrip("/").split("/")[-2] if url.count("/") >= 4 else ""
            if owner.isdigit() and len(owner) == 12 and owner != self.current_account:
                self.current_account = owner
            queue = self.sqs_backend.get_queue(self._get_queue_name())
            refusal = _sq_refusal(queue, action, caller)
            if refusal is not None:
                raise _SqAccessDenied(refusal)
            return method(self)
        return guarded
    return wrap

for _sq_method, _sq_action in (
    ("send_message", "sqs:SendMessage"), ("send_message_batch", "sqs:SendMessage"),
    ("receive_message", "sqs:ReceiveMessage"),
    ("delete_message", "sqs:DeleteMessage"), ("delete_message_batch", "sqs:DeleteMessage"),
    ("change_message_visibility", "sqs:ChangeMessageVisibility"),
    ("change_message_visibility_batch", "sqs:ChangeMessageVisibility"),
):
    setattr(_sq_responses.SQSResponse, _sq_method, _sq_guard(_sq_action)(getattr(_sq_responses.SQSResponse, _sq_method)))

_sq_send_to_queue = _eb_models.Rule._send_to_sqs_queue

def _orgbridge_rule_to_queue(self, resource_id, event, group_id=None):
    from moto.sqs import sqs_backends
    queue = sqs_backends[self.account_id][self.region_name].get_queue(resource_id)
    caller = {"account": self.account_id, "service": "events.amazonaws.com",
              "keys": {"aws:SourceArn": self.arn, "aws:SecureTransport": "true"}}
    refusal = _sq_refusal(queue, "sqs:SendMessage", caller)
    if refusal is not None:
        _eb_dead_letter(self, queue.queue_arn, None, "NO_PERMISSIONS", refusal, body=_eb_json.dumps(event))
        return
    return _sq_send_to_queue(self, resource_id, event, group_id)

_eb_models.Rule._send_to_sqs_queue = _orgbridge_rule_to_queue

# RedriveAllowPolicy: which source queues may name a queue as their dead-letter queue ("allowAll",
# SQS's default; "denyAll"; "byQueue" with sourceQueueArns). moto stores it and lets any queue
# name any other. AWS refuses such a RedrivePolicy; the exact wording of its error is not
# documented, the code is InvalidParameterValue as for every other invalid RedrivePolicy.
_sq_setup_dlq = _sq_models.Queue._setup_dlq

def _orgbridge_setup_dlq(self, policy):
    _sq_setup_dlq(self, policy)
    dlq = getattr(self, "dead_letter_queue", None)
    if dlq is None:
        return
    allow = getattr(dlq, "redrive_allow_policy", None)
    if isinstance(allow, str):
        try:
            allow = _eb_json.loads(allow)
        except ValueError:
            allow = None
    allow = allow if isinstance(allow, dict) else {}
    permission = allow.get("redrivePermission", "allowAll")
    if permission == "denyAll" or (permission == "byQueue" and self.queue_arn not in _eb_listed(allow.get("sourceQueueArns", []))):
        self.redrive_policy = None
        self.dead_letter_queue = None
        raise _SqException("InvalidParameterValue", "Value for parameter RedrivePolicy is invalid. Reason: the RedriveAllowPolicy of " + dlq.queue_arn + " does not allow " + self.queue_arn + " to use it as its dead-letter queue.")

_sq_models.Queue._setup_dlq = _orgbridge_setup_dlq
`;

/**
 * Route 53 as AWS answers the two calls the DNS account's handler builds on
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html):
 *
 * - ListHostedZonesByName sorts the zones by name with the labels reversed (`com.example.www.`)
 *   and, given DNSName (and HostedZoneId), starts at that zone; at most MaxItems (100) zones per
 *   answer, with IsTruncated, NextDNSName and NextHostedZoneId. moto returns only the zones named
 *   exactly DNSName, all of them.
 * - CreateHostedZone with a CallerReference an existing zone was created with fails with
 *   HostedZoneAlreadyExists: the reference is what makes a retried create safe. moto creates a
 *   second zone.
 * - A CNAME cannot share its name with a record of another type: "If you create a CNAME record
 *   for a subdomain, you cannot create any other records for that subdomain"
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html#CNAMEFormat).
 *   ChangeResourceRecordSets refuses such a CREATE or UPSERT with InvalidChangeBatch ("RRSet of
 *   type CNAME with DNS name ... is not permitted as it conflicts with other records with the
 *   same DNS name"); moto writes it.
 */
const ROUTE53_PATCH = `
import moto.route53.models as _r53_models
import moto.route53.responses as _r53_responses
from moto.route53.exceptions import Route53ClientError as _R53Error

class _R53ZoneExists(_R53Error):
    def __init__(self, reference):
        super().__init__("HostedZoneAlreadyExists",
            "A hosted zone has already been created with the specified caller reference " + reference + ".")

def _r53_sort_key(name):
    labels = [label for label in name.split(".") if label]
    return ".".join(reversed(labels)) + "."

def _orgbridge_list_hosted_zones_by_name(self):
    dnsname = self._get_param("DNSName")
    zone_id = (self._get_param("HostedZoneId") or "").split("/")[-1]
    max_items = min(100, int(self._get_param("MaxItems") or 100))
    keyed = sorted((((_r53_sort_key(z.name), z.resource_id), z) for z in self.backend.zones.values()), key=lambda kz: kz[0])
    start = (_r53_sort_key(dnsname), zone_id) if dnsname else None
    zones = [z for key, z in keyed if start is None or key >= start]
    page, rest = zones[:max_items], zones[max_items:]
    result = {"HostedZones": page, "MaxItems": str(max_items), "IsTruncated": bool(rest)}
    if dnsname:
        result["DNSName"] = dnsname
    if zone_id:
        result["HostedZoneId"] = zone_id
    if rest:
        result["NextDNSName"] = rest[0].name
        result["NextHostedZoneId"] = rest[0].resource_id
    return _r53_responses.ActionResult(result)

_r53_responses.Route53.list_hosted_zones_by_name = _orgbridge_list_hosted_zones_by_name

_r53_create_hosted_zone = _r53_models.Route53Backend.create_hosted_zone

def _orgbridge_create_hosted_zone(self, name, private_zone, caller_reference=None, *args, **kwargs):
    if caller_reference and any(z.caller_reference == caller_reference for z in self.zones.values()):
        raise _R53ZoneExists(caller_reference)
    return _r53_create_hosted_zone(self, name, private_zone, caller_reference, *args, **kwargs)

_r53_models.Route53Backend.create_hosted_zone = _orgbridge_create_hosted_zone

def _r53_record_name(name):
    return name.rstrip(".").lower()

_r53_change_record_sets = _r53_models.Route53Backend.change_resource_record_sets

def _orgbridge_change_resource_record_sets(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    types = {}
    for record in zone.rrsets:
        types.setdefault(_r53_record_name(record.name), set()).add(record.type)
    for change in change_list:
        record = change.get("ResourceRecordSet") or {}
        name, kind = _r53_record_name(record.get("Name", "")), record.get("Type")
        present = types.setdefault(name, set())
        if change.get("Action") == "DELETE":
            present.discard(kind)
            continue
        others = present - {kind}
        if (kind == "CNAME" and others) or (kind != "CNAME" and "CNAME" in others):
            raise _R53Error("InvalidChangeBatch",
                "[RRSet of type " + kind + " with DNS name " + name + ". is not permitted as it conflicts with other records with the same DNS name in zone " + zone.name + "]")
        present.add(kind)
    return _r53_change_record_sets(self, zoneid, change_list)

_r53_models.Route53Backend.change_resource_record_sets = _orgbridge_change_resource_record_sets
`;

/**
 * Organizations: CreateAccount with an email an account of the organization already has fails,
 * as in AWS, with the creation status FAILED and FailureReason EMAIL_ALREADY_EXISTS
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccountStatus.html);
 * moto creates a second account with the same email. DescribeCreateAccountStatus finds the
 * failed request.
 */
const ORGANIZATIONS_EMAIL_PATCH = `
import time as _og_time, uuid as _og_uuid
import moto.organizations.models as _og_models

_og_failed = {}
_og_create_account = _og_models.OrganizationsBackend.create_account

def _orgbridge_create_account(self, **kwargs):
    email = (kwargs.get("Email") or "").lower()
    if self.org is not None and any((a.email or "").lower() == email for a in self.accounts):
        now = _og_time.time()
        status = {"Id": "car-" + _og_uuid.uuid4().hex, "AccountName": kwargs.get("AccountName"), "State": "FAILED",
                  "FailureReason": "EMAIL_ALREADY_EXISTS", "RequestedTimestamp": now, "CompletedTimestamp": now}
        _og_failed[status["Id"]] = status
        return {"CreateAccountStatus": status}
    return _og_create_account(self, **kwargs)

_og_models.OrganizationsBackend.create_account = _orgbridge_create_account

_og_describe_status = _og_models.OrganizationsBackend.describe_create_account_status

def _orgbridge_describe_create_account_status(self, **kwargs):
    failed = _og_failed.get(kwargs.get("CreateAccountRequestId"))
    return {"CreateAccountStatus": failed} if failed else _og_describe_status(self, **kwargs)

_og_models.OrganizationsBackend.describe_create_account_status = _orgbridge_describe_create_account_status
`;

/**
 * CloudFormation:
 *
 * - A resource that fails fails the stack: CREATE_FAILED with the reason, then ROLLBACK_COMPLETE
 *   (or UPDATE_FAILED, UPDATE_ROLLBACK_COMPLETE with the previous template), as AWS reports it
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html).
 *   moto answers the CreateStack call with the resource's own error instead, which the SDK cannot
 *   even parse; so a rule on a bus that does not exist (EventBridge: ResourceNotFoundException)
 *   never looked like a failed deployment.
 * - StackSets trusted access with Organizations: ActivateOrganizationsAccess and
 *   DescribeOrganizationsAccess, and CreateStackSet with PermissionModel SERVICE_MANAGED refused
 *   until it is active
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html).
 *   Activating also enables the StackSets service principal in Organizations, as AWS does.
 */
const CLOUDFORMATION_PATCH = `
import moto.cloudformation.models as _cf_models
import moto.cloudformation.responses as _cf_responses
from moto.cloudformation.exceptions import ValidationError as _CfValidationError
from moto.core.responses import ActionResult as _CfActionResult, EmptyResult as _CfEmptyResult

def _cf_reason(error):
    return getattr(error, "message", None) or getattr(error, "description", None) or str(error)

_cf_create_resources = _cf_models.Stack.create_resources

def _orgbridge_create_resources(self):
    try:
        _cf_create_resources(self)
    except Exception as error:
        self._add_stack_event("CREATE_FAILED", resource_status_reason=_cf_reason(error))
        try:
            self.resource_map.delete()
        except Exception:
            pass
        self._add_stack_event("ROLLBACK_COMPLETE")
        self.status = "ROLLBACK_COMPLETE"

_cf_models.Stack.create_resources = _orgbridge_create_resources

_cf_update = _cf_models.Stack.update

def _orgbridge_update(self, template, *args, **kwargs):
    previous = self.template
    try:
        _cf_update(self, template, *args, **kwargs)
    except Exception as error:
        self.template = previous
        self._parse_template()
        self._add_stack_event("UPDATE_FAILED", resource_status_reason=_cf_reason(error))
        self._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
        self.status = "UPDATE_ROLLBACK_COMPLETE"

_cf_models.Stack.update = _orgbridge_update

# A template must declare at least one resource: AWS refuses CreateStack, UpdateStack and
# CreateChangeSet without one ("Template format error: At least one Resources member must be
# defined.", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html);
# moto fails such a stack with an HTTP 500 (KeyError 'Resources') or, for "Resources": {}, creates it.
def _cf_require_resources(template):
    try:
        parsed = _cf_models.Stack.parse_template(template)
    except Exception:
        return
    if isinstance(parsed, dict) and not parsed.get("Resources"):
        raise _CfValidationError(message="Template format error: At least one Resources member must be defined.")

def _cf_requiring_resources(method, position):
    def wrapped(self, *args, **kwargs):
        template = kwargs["template"] if "template" in kwargs else args[position]
        _cf_require_resources(template)
        return method(self, *args, **kwargs)
    return wrapped

_cf_backend = _cf_models.CloudFormationBackend
_cf_backend.create_stack = _cf_requiring_resources(_cf_backend.create_stack, 1)
_cf_backend.update_stack = _cf_requiring_resources(_cf_backend.update_stack, 1)
_cf_backend.create_change_set = _cf_requiring_resources(_cf_backend.create_change_set, 2)

_STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
_cf_orgs = __import__("moto.organizations.models", fromlist=["organizations_backends"]).organizations_backends

def _cf_organization_backend(account_id):
    backend = _cf_orgs[account_id]["aws"]
    return backend if backend.org is not None else None

def _cf_access_enabled(account_id):
    backend = _cf_organization_backend(account_id)
    return backend is not None and any(
        s.get("ServicePrincipal") == _STACKSETS_PRINCIPAL for s in backend.list_aws_service_access_for_organization().get("EnabledServicePrincipals", []))

def _orgbridge_activate_organizations_access(self):
    backend = _cf_organization_backend(self.current_account)
    if backend is None:
        raise _CfValidationError(message="Account " + self.current_account + " is not the management account of an organization")
    if not _cf_access_enabled(self.current_account):
        backend.enable_aws_service_access(ServicePrincipal=_STACKSETS_PRINCIPAL)
    return _CfEmptyResult()

def _orgbridge_describe_organizations_access(self):
    return _CfActionResult({"Status": "ENABLED" if _cf_access_enabled(self.current_account) else "DISABLED"})

_cf_responses.CloudFormationResponse.activate_organizations_access = _orgbridge_activate_organizations_access
_cf_responses.CloudFormationResponse.describe_organizations_access = _orgbridge_describe_organizations_access

_cf_create_stack_set = _cf_responses.CloudFormationResponse.create_stack_set

def _orgbridge_create_stack_set(self):
    if self._get_param("PermissionModel") == "SERVICE_MANAGED" and not _cf_access_enabled(self.current_account):
        raise _CfValidationError(message="You must enable organizations access to operate a service managed stack set")
    return _cf_create_stack_set(self)

_cf_responses.CloudFormationResponse.create_stack_set = _orgbridge_create_stack_set

# UpdateTerminationProtection (moto: HTTP 500) and its effect: "you can't delete a stack that has
# termination protection enabled" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html).
def _orgbridge_update_termination_protection(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = str(self._get_param("EnableTerminationProtection")).lower() == "true"
    return _CfActionResult({"StackId": stack.stack_id})

_cf_responses.CloudFormationResponse.update_termination_protection = _orgbridge_update_termination_protection

_cf_delete_stack = _cf_responses.CloudFormationResponse.delete_stack

def _orgbridge_delete_stack(self):
    name = self._get_param("StackName")
    live = [s for s in self.cloudformation_backend.stacks.values() if name in (s.name, s.stack_id)]
    if any(getattr(s, "enable_termination_protection", False) for s in live):
        raise _CfValidationError(message="Stack [" + name + "] cannot be deleted while TerminationProtection is enabled")
    return _cf_delete_stack(self)

_cf_responses.CloudFormationResponse.delete_stack = _orgbridge_delete_stack

# Drift detection (moto: not implemented). AWS compares each resource's live configuration with
# the properties its template sets; resources it cannot check are NOT_CHECKED
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html).
# This emulation checks AWS::SSM::Parameter (Value, Type, Description, and whether it still
# exists) and reports every other type NOT_CHECKED. A detection completes at once.
import datetime as _cf_dt
import uuid as _cf_uuid
_cf_detections = {}
_CF_DRIFT_PROPERTIES = (("/Value", "value"), ("/Type", "parameter_type"), ("/Description", "description"))

def _cf_ssm_drift(stack, resource):
    from moto.ssm.models import ssm_backends
    live = ssm_backends[stack.account_id][stack.region_name].get_parameter(resource.name)
    if live is None:
        return "DELETED", []
    differences = []
    for path, attribute in _CF_DRIFT_PROPERTIES:
        expected, actual = getattr(resource, attribute, None), getattr(live, attribute, None)
        if expected is not None and expected != actual:
            differences.append({"PropertyPath": path, "ExpectedValue": str(expected), "ActualValue": str(actual), "DifferenceType": "NOT_EQUAL"})
    return ("MODIFIED" if differences else "IN_SYNC"), differences

def _orgbridge_detect_stack_drift(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    now = _cf_dt.datetime.now(_cf_dt.timezone.utc)
    drifts = []
    for logical_id, spec in (stack.template_dict.get("Resources") or {}).items():
        resource_type = spec.get("Type")
        resource = stack.resource_map._parsed_resources.get(logical_id)
        status, differences = "NOT_CHECKED", []
        if resource_type == "AWS::SSM::Parameter" and resource is not None:
            status, differences = _cf_ssm_drift(stack, resource)
        drifts.append({"StackId": stack.stack_id, "LogicalResourceId": logical_id,
            "PhysicalResourceId": getattr(resource, "physical_resource_id", None) or logical_id,
            "ResourceType": resource_type, "StackResourceDriftStatus": status,
            "PropertyDifferences": differences, "Timestamp": now})
    drifted = sum(1 for d in drifts if d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED"))
    status = "DRIFTED" if drifted else "IN_SYNC"
    stack.drift_information = {"StackDriftStatus": status, "LastCheckTimestamp": now}
    stack.orgbridge_resource_drifts = drifts
    detection_id = str(_cf_uuid.uuid4())
    _cf_detections[detection_id] = {"StackId": stack.stack_id, "StackDriftDetectionId": detection_id,
        "StackDriftStatus": status, "DetectionStatus": "DETECTION_COMPLETE",
        "DriftedStackResourceCount": drifted, "Timestamp": now}
    return _CfActionResult({"StackDriftDetectionId": detection_id})

def _orgbridge_describe_stack_drift_detection_status(self):
    detection = _cf_detections.get(self._get_param("StackDriftDetectionId"))
    if detection is None:
        raise _CfValidationError(message="Drift detection " + str(self._get_param("StackDriftDetectionId")) + " not found")
    return _CfActionResult(detection)

def _orgbridge_describe_stack_resource_drifts(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    wanted = self._get_param("StackResourceDriftStatusFilters") or []
    drifts = [d for d in getattr(stack, "orgbridge_resource_drifts", []) if not wanted or d["StackResourceDriftStatus"] in wanted]
    return _CfActionResult({"StackResourceDrifts": drifts})

_cf_responses.CloudFormationResponse.detect_stack_drift = _orgbridge_detect_stack_drift
_cf_responses.CloudFormationResponse.describe_stack_drift_detection_status = _orgbridge_describe_stack_drift_detection_status
_cf_responses.CloudFormationResponse.describe_stack_resource_drifts = _orgbridge_describe_stack_resource_drifts
`;

/**
 * Support: an account without a Business, Enterprise On-Ramp or Enterprise support plan (every
 * new account, and every emulated one) is answered SubscriptionRequiredException by the Support
 * API (https://docs.aws.amazon.com/awssupport/latest/user/about-support-api.html). moto lacks
 * DescribeSeverityLevels and answers it with a 500; tools that probe the support plan with it
 * (org-formation does, in the peer benchmark) get AWS's answer instead.
 */
const SUPPORT_PATCH = `
from moto.core.exceptions import JsonRESTError as _su_error
import moto.support.responses as _su_responses

def _orgbridge_describe_severity_levels(self):
    raise _su_error("SubscriptionRequiredException", "AWS Premium Support Subscription is required to use this service.")

_su_responses.SupportResponse.describe_severity_levels = _orgbridge_describe_severity_levels
`;

const LAUNCHER = [
  SPEED_PATCH,
  ORIGIN_ACCOUNT_PATCH,
  EVENTBRIDGE_PATCH,
  SQS_POLICY_PATCH,
  ORGANIZATIONS_EMAIL_PATCH,
  CLOUDFORMATION_PATCH,
  ROUTE53_PATCH,
  SUPPORT_PATCH,
  'from moto.server import main\nmain(sys.argv[1:])\n',
].join('\n');

export const MOTO_INSTALL_HINT = 'install it with: pip install "moto[server]>=5.2,<6"';

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  /** The last lines of the server's stderr: moto's tracebacks behind a 500. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  readonly python?: string;
  readonly port?: number;
  readonly logDir?: string;
  readonly startTimeoutMs?: number;
}

const PROBE = 'import moto.server, jsonpath_ng';

/** What one run of the probe gave: how it ended and what Python printed on stderr. */
interface ProbeOutcome {
  readonly error?: NodeJS.ErrnoException;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Undefined when the probe passed; else the error to raise. Only a Python that is not there, or
 * one that says a module is missing, gets the install hint: a probe killed or timed out on a
 * loaded machine, or failing for any other reason, shows what Python printed instead.
 */
function probeProblem(python: string, outcome: ProbeOutcome): OrgbridgeError | undefined {
  if (!outcome.error && outcome.status === 0) return undefined;
  if (outcome.error?.code === 'ENOENT') {
    return new OrgbridgeError('EMULATOR_MISSING', `${python} was not found`, {
      source: 'user',
      hint: `install Python 3 and moto (${MOTO_INSTALL_HINT}), or set ORGBRIDGE_PYTHON to a Python that has it`,
      cause: outcome.error,
    });
  }
  const missing = /No module named '([\w.]+)'/.exec(outcome.stderr)?.[1];
  if (missing) {
    return new OrgbridgeError(
      'EMULATOR_MISSING',
      `moto server is not available to ${python}: no module ${missing}`,
      {
        source: 'user',
        hint: MOTO_INSTALL_HINT,
      },
    );
  }
  const how = outcome.timedOut
    ? 'timed out'
    : outcome.signal
      ? `was killed by ${outcome.signal}`
      : outcome.error
        ? `could not run (${outcome.error.message})`
        : `exited with ${outcome.status}`;
  const said = outcome.stderr.trim().split('\n').slice(-15).join('\n') || '(nothing on stderr)';
  return new OrgbridgeError('EMULATOR_PROBE_FAILED', `${python} -c "${PROBE}" ${how}; it said:\n${said}`, {
    source: 'internal',
    hint: 'moto looks installed, the probe failed for the reason above (a loaded machine makes it slow): run it again',
    ...(outcome.error ? { cause: outcome.error } : {}),
  });
}

/** Throws unless `python` can import moto server (a quick preflight for commands that need it). */
export function checkMotoInstalled(python = process.env.ORGBRIDGE_PYTHON ?? 'python3'): void {
  const probe = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000 });
  const problem = probeProblem(python, {
    ...(probe.error ? { error: probe.error as NodeJS.ErrnoException } : {}),
    status: probe.status,
    signal: probe.signal,
    stderr: probe.stderr ?? '',
    timedOut: (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  });
  if (problem) throw problem;
}

/**
 * The same check, without blocking, as startMoto runs it: a probe that failed for a reason other
 * than a missing module is tried again with a longer timeout (importing moto takes seconds, far
 * more when eight test processes start at once on two cores).
 */
export async function probeMoto(
  python: string,
  options: { readonly attempts?: number; readonly timeoutMs?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 3;
  let problem: OrgbridgeError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timeout = (options.timeoutMs ?? 30_000) * attempt;
    const outcome = await new Promise<ProbeOutcome>((resolve) => {
      execFile(python, ['-c', PROBE], { encoding: 'utf8', timeout }, (error, _stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals }) | null;
        resolve({
          ...(e && typeof e.code !== 'number' && e.code !== undefined ? { error: e } : {}),
          status: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stderr: stderr ?? '',
          timedOut: Boolean(e?.killed && e.signal === 'SIGTERM'),
        });
      });
    });
    problem = probeProblem(python, outcome);
    if (!problem || problem.code === 'EMULATOR_MISSING') break;
  }
  if (problem) throw problem;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * 20 s to answer on an idle machine, up to 2.5 times that when the machine is loaded (the load
 * average over the cores): moto imports every service it emulates before it listens.
 */
function startTimeoutUnderLoad(): number {
  const load = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.round(20_000 * Math.min(2.5, Math.max(1, load)));
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? process.env.ORGBRIDGE_PYTHON ?? 'python3';
  // The probe (which names what is missing) runs beside the launcher instead of before it: both
  // spend most of a second importing moto. Its verdict is only needed when the launcher fails.
  const probe = probeMoto(python).then(
    () => undefined,
    (e: unknown) => e,
  );
  const port = options.port ?? (await freePort());
  const logDir = options.logDir ?? join(tmpdir(), 'orgbridge-moto');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `moto-${port}-${process.pid}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(python, ['-c', LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MOTO_ACCOUNT_ID: undefined,
      MOTO_IAM_LOAD_MANAGED_POLICIES: undefined,
      MOTO_EC2_LOAD_DEFAULT_AMIS: 'false',
      MOTO_RECORDER_FILEPATH: join(logDir, `moto-${port}-${process.pid}.recording`),
    },
  });
  // Both streams feed one log: neither may end it (pipe's default), or the other's next line is a
  // write after end, an uncaught error. The log ends once the child and both streams are closed.
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const endLog = (): void => {
    if (!log.writableEnded) log.end();
  };
  child.once('close', endLog);
  running.add(child);
  killAllOnExit();
  const endpoint = `http://127.0.0.1:${port}`;
  const tail = (lines = 60): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? startTimeoutUnderLoad());
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  // No such program: spawn reports it as an error, and the probe says what to install.
  child.once('error', () => {
    exited = true;
    running.delete(child);
    endLog();
  });
  while (true) {
    if (exited) {
      const missing = await probe;
      if (missing) throw missing;
      throw new OrgbridgeError('EMULATOR_START_FAILED', `moto server exited while starting on port ${port}`, {
        source: 'internal',
        hint: `its log says:\n${tail(20)}`,
      });
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        const missing = await probe;
        if (missing) throw missing;
        throw new OrgbridgeError('EMULATOR_START_FAILED', `moto server did not answer on ${endpoint}`, {
          source: 'internal',
          hint: `its log says:\n${tail(20)}`,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    logFile,
    tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }),
  };
}
