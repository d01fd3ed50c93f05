# SPDX-License-Identifier: AGPL-3.0-or-later
"""The API calls: dispatch in XAPI's order, then the methods the fake implements.

Order of checks (xen-api ocaml/idl/ocaml_backend/gen_server.ml, ocaml/xapi/server_helpers.ml, session_check.ml):
an unknown name (also Async.X for a call without an async form) is MESSAGE_METHOD_UNKNOWN [method]; a wrong number
of arguments is MESSAGE_PARAMETER_COUNT_MISMATCH [method, expected, received] where both counts leave out the session
(so a call with no argument at all reports "-1"); calls with optional arguments (session.login_with_password: version
and originator, VM.snapshot: ignore_vdis, VDI.snapshot: driver_params) accept any count from the required one up;
then the session: an unknown one is SESSION_INVALID [ref]; on a pool slave a valid user session is HOST_IS_SLAVE
[master address] (Session_check.check: Non_master_login_on_slave); then the call. Calls on the Unix socket of a slave
are forwarded to the master (api_server.ml callback1), which here means they run: master and slave share DIR.
Void calls answer "". Async.X returns a task ref at once; the task's result is the XML-RPC text of the value
(taskHelper.ml set_result_on_task: Xmlrpc.to_string), e.g. "<value>OpaqueRef:...</value>".

session.login_with_password (ocaml/xapi/xapi_session.ml): on the Unix socket XAPI trusts the caller
(Context.preauth: the socket is /var/lib/xcp/xapi) and makes a session for any user name without a password; over
TCP a slave answers HOST_IS_SLAVE [master address]; otherwise PAM checks the local user: a wrong password is
SESSION_AUTHENTICATION_FAILED [user, "Authentication failure"] (pam_strerror(PAM_AUTH_ERR)); an unknown user gets
PAM's "User not known to the underlying authentication module" -- the fake's users are DIR/state.json "users".
XAPI's own 5-second delay (thread_delay_and_raise_error) is not on this path; --auth-fail-delay adds PAM's.

Not verified, chosen: an invalid enum value (VM.add_to_blocked_operations with an unknown key) is INVALID_VALUE [key].
"""
import threading
import time
import traceback

from . import model, schema, store
from .rpc import DateTime, XapiError, xml_to_string
from .schema import NULL

METHODS = {}  # name -> (fn, required, optional, has_session, async)


def api(name, required=0, optional=0, session=True, async_=False):
    def deco(fn):
        METHODS[name] = (fn, required, optional, session, async_)
        return fn
    return deco


class Config:
    def __init__(self, slave_of=None, host_uuid=None, auth_fail_delay=0.0):
        self.slave_of = slave_of
        self.host_uuid = host_uuid
        self.auth_fail_delay = auth_fail_delay


class Ctx:
    def __init__(self, api, st, session, transport):
        self.api, self.st, self.session, self.transport = api, st, session, transport

    def host(self):
        return self.api.local_host(self.st)


class Api:
    def __init__(self, store_, config):
        self.store = store_
        self.config = config

    def local_host(self, st):
        if self.config.host_uuid:
            return st.by_uuid("host", self.config.host_uuid)
        pools = list(st.objs("pool").values())
        return pools[0]["master"] if pools else NULL

    # ---- dispatch ------------------------------------------------------------------------------------------------
    def dispatch(self, method, params, transport, protocol):
        """(success, contents): contents is the value or the error description [name, params...]."""
        logged = list(params)
        if method.split(".")[-1] in ("login_with_password", "slave_local_login_with_password") and len(logged) > 1:
            logged[1] = "********"
        self.store.log_call({"method": method, "params": logged, "via": protocol, "transport": transport,
                             "slave": bool(self.config.slave_of)})
        try:
            return True, self.call(method, params, transport)
        except XapiError as e:
            return False, e.description
        except Exception as e:  # a bug or a value of the wrong type: XAPI's dispatch_exn_wrapper says INTERNAL_ERROR
            traceback.print_exc()
            return False, ["INTERNAL_ERROR", repr(e)]

    def call(self, method, params, transport):
        name = normalize(method)
        is_async = name.startswith("Async.") or name.startswith("InternalAsync.")
        base = name.split(".", 1)[1] if is_async else name
        entry = METHODS.get(base) or generic(base)
        if entry is None or (is_async and not entry[4]):
            raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
        fn, required, optional, has_session, _ = entry
        received = len(params) - (1 if has_session else 0)
        if received < required or (not optional and received != required):
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", method, required, received)
        session = params[0] if has_session else None
        if has_session:
            self.check_session(session, transport)
        args = params[1:] if has_session else params
        if is_async:
            return self.spawn(name, base, fn, session, args, transport)
        return self.run(base, fn, session, args, transport)

    def check_session(self, session, transport):
        with self.store.tx(write=False) as st:
            if not isinstance(session, str) or not st.exists("session", session):
                raise XapiError("SESSION_INVALID", session)
        if self.config.slave_of and transport != "unix":
            raise XapiError("HOST_IS_SLAVE", self.config.slave_of)

    def run(self, base, fn, session, args, transport):
        fault = self.store.take_fault(base)
        if fault:
            if fault.get("sleep"):
                time.sleep(fault["sleep"])
            if fault.get("error"):
                raise XapiError(*fault["error"])
        with self.store.tx() as st:
            result = fn(Ctx(self, st, session, transport), *args)
        return "" if result is None else result

    def spawn(self, label, base, fn, session, args, transport):
        with self.store.tx() as st:
            task = new_task(st, label, "", self.local_host(st))

        def work():
            try:
                result = self.run(base, fn, session, args, transport)
                finish_task(self.store, task, result=xml_to_string(result))
            except XapiError as e:
                finish_task(self.store, task, error=e.description)
        threading.Thread(target=work, daemon=True).start()
        return task


def normalize(method):
    """XAPI also accepts Class_method (datamodel_utils.ml alternative_wire_name)."""
    if "." in method:
        return method
    for cls in sorted(schema.CLASSES, key=len, reverse=True):
        if method.startswith(cls + "_"):
            return cls + "." + method[len(cls) + 1:]
    return method


# ---- tasks ---------------------------------------------------------------------------------------------------------
def new_task(st, label, description, host):
    return st.add("task", name_label=label, name_description=description, created=store.now(), status="pending",
                  resident_on=host)


def finish_task(store_, task, result=None, error=None):
    """TaskHelper.complete / TaskHelper.failed (a task already finished or destroyed is left alone)."""
    with store_.tx() as st:
        if not st.exists("task", task):
            return
        rec = st.get("task", task)
        if rec["status"] != "pending":
            return
        rec.update(progress=1.0, finished=store.now(), allowed_operations=[])
        if error:
            rec["error_info"] = list(error)
            rec["status"] = "cancelled" if error[0] == "TASK_CANCELLED" else "failure"
        else:
            rec["result"] = result or ""
            rec["status"] = "success"


# ---- generic getters and setters -------------------------------------------------------------------------------------
SETTABLE = {"name_label", "name_description", "other_config", "tags"}


def generic(name):
    if "." not in name:
        return None
    cls, op = name.split(".", 1)
    if cls not in schema.TYPES:
        return None
    types = schema.TYPES[cls]
    if op == "get_record":
        return (lambda c, ref: model.render(c.st, cls, ref), 1, 0, True, False)
    if op == "get_all":
        return (lambda c: list(c.st.objs(cls)), 0, 0, True, False)
    if op == "get_all_records":
        return (lambda c: {r: model.render(c.st, cls, r) for r in c.st.objs(cls)}, 0, 0, True, False)
    if op == "get_by_uuid":
        return (lambda c, uuid: c.st.by_uuid(cls, uuid), 1, 0, True, False)
    if op == "get_by_name_label" and "name_label" in types:
        return (lambda c, label: c.st.where(cls, name_label=label), 1, 0, True, False)
    if op.startswith("get_") and op[4:] in types:
        field = op[4:]
        return (lambda c, ref: model.render(c.st, cls, ref)[field], 1, 0, True, False)
    if op.startswith("set_") and op[4:] in types and op[4:] in SETTABLE:
        field = op[4:]

        def setter(c, ref, value):
            c.st.get(cls, ref)[field] = schema.coerce(cls, field, value)
            c.st.touch()
        return (setter, 2, 0, True, False)
    for prefix, nargs in (("add_to_", 3), ("remove_from_", 2)):
        if op.startswith(prefix) and types.get(op[len(prefix):]) == "map":
            field = op[len(prefix):]

            def mapop(c, ref, key, value=None, field=field, add=prefix == "add_to_"):
                m = c.st.get(cls, ref)[field]
                if add:
                    if key in m:
                        raise XapiError("MAP_DUPLICATE_KEY", cls, field, ref, key)
                    m[str(key)] = str(value)
                else:
                    m.pop(key, None)
                c.st.touch()
            return (mapop, nargs - 1, 0, True, False)
    return None


# ---- session -----------------------------------------------------------------------------------------------------------
def _make_session(c, uname, originator, local_superuser=True):
    return c.st.add("session", this_host=c.host(), last_active=store.now(), validation_time=store.now(),
                    is_local_superuser=local_superuser, auth_user_name=uname, originator=originator,
                    rbac_permissions=[])


def _check_password(c, uname, pwd):
    users = c.st.data.get("users", {})
    msg = None
    if uname not in users:
        msg = "User not known to the underlying authentication module"
    elif users[uname] != pwd:
        msg = "Authentication failure"
    if msg:
        if c.api.config.auth_fail_delay:
            time.sleep(c.api.config.auth_fail_delay)
        raise XapiError("SESSION_AUTHENTICATION_FAILED", uname, msg)


@api("session.login_with_password", 2, optional=2, session=False)
def login_with_password(c, uname, pwd, version="1.1", originator=""):
    if c.transport != "unix":
        if c.api.config.slave_of:
            raise XapiError("HOST_IS_SLAVE", c.api.config.slave_of)
        _check_password(c, uname, pwd)
    return _make_session(c, uname, originator)


@api("session.slave_local_login_with_password", 2, session=False)
def slave_local_login_with_password(c, uname, pwd):
    _check_password(c, uname, pwd)
    return _make_session(c, uname, "")


@api("session.logout")
@api("session.local_logout")
def logout(c):
    c.st.remove("session", c.session)


# ---- VM ----------------------------------------------------------------------------------------------------------------
@api("VM.snapshot", 2, optional=1, async_=True)
def vm_snapshot(c, vm, new_name, ignore_vdis=()):
    c.st.get("VM", vm)
    return model.vm_snapshot(c.st, vm, str(new_name), list(ignore_vdis or ()))


@api("VM.destroy", 1, async_=True)
def vm_destroy(c, vm):
    model.vm_destroy(c.st, vm)


@api("VM.start", 3, async_=True)
def vm_start(c, vm, start_paused, force):
    model.assert_vm_operation(c.st, vm, "start")
    model.set_power_state(c.st, vm, "Paused" if schema.as_bool(start_paused) else "Running", c.host())
    metrics = c.st.get("VM", vm)["metrics"]
    if c.st.exists("VM_metrics", metrics):
        c.st.get("VM_metrics", metrics)["start_time"] = store.now()


@api("VM.clean_shutdown", 1, async_=True)
def vm_clean_shutdown(c, vm):
    model.assert_vm_operation(c.st, vm, "clean_shutdown")
    model.set_power_state(c.st, vm, "Halted")


@api("VM.hard_shutdown", 1, async_=True)
def vm_hard_shutdown(c, vm):
    model.assert_vm_operation(c.st, vm, "hard_shutdown")
    model.set_power_state(c.st, vm, "Halted")


@api("VM.set_is_a_template", 2)
def vm_set_is_a_template(c, vm, value):
    """message_forwarding.ml: only making a template is an operation (make_into_template: halted, not blocked)."""
    value = schema.as_bool(value)
    rec = c.st.get("VM", vm)
    if value:
        model.assert_vm_operation(c.st, vm, "make_into_template")
        rec["ha_always_run"] = False
    rec["is_a_template"] = value
    c.st.touch()


@api("VM.set_ha_always_run", 2)
def vm_set_ha_always_run(c, vm, value):
    """xapi_vm.ml: deprecated; sets ha_restart_priority ("restart" or ""), and ha_always_run only while running."""
    value = schema.as_bool(value)
    rec = c.st.get("VM", vm)
    rec["ha_restart_priority"] = "restart" if value else ""
    if rec["power_state"] == "Running":
        rec["ha_always_run"] = value
    c.st.touch()


@api("VM.add_to_blocked_operations", 3)
def vm_add_blocked(c, vm, key, value):
    rec = c.st.get("VM", vm)
    if key not in schema.ENUMS["vm_operations"]:
        raise XapiError("INVALID_VALUE", key)
    if key in rec["blocked_operations"]:
        raise XapiError("MAP_DUPLICATE_KEY", "VM", "blocked_operations", vm, key)
    rec["blocked_operations"][key] = str(value)
    c.st.touch()


@api("VM.remove_from_blocked_operations", 2)
def vm_remove_blocked(c, vm, key):
    c.st.get("VM", vm)["blocked_operations"].pop(key, None)
    c.st.touch()


@api("VM.set_blocked_operations", 2)
def vm_set_blocked(c, vm, value):
    for key in value:
        if key not in schema.ENUMS["vm_operations"]:
            raise XapiError("INVALID_VALUE", key)
    c.st.get("VM", vm)["blocked_operations"] = {k: str(v) for k, v in value.items()}
    c.st.touch()


# ---- VDI ---------------------------------------------------------------------------------------------------------------
@api("VDI.snapshot", 1, optional=1, async_=True)
def vdi_snapshot(c, vdi, driver_params=None):
    return model.vdi_snapshot(c.st, vdi)


@api("VDI.destroy", 1, async_=True)
def vdi_destroy(c, vdi):
    model.vdi_destroy(c.st, vdi)


@api("VDI.create", 1, async_=True)
def vdi_create(c, args):
    """The constructor takes one struct (gen_server.ml from_ctor_record); xenstore_data, sm_config and tags may be
    left out."""
    if not isinstance(args, dict):
        raise XapiError("FIELD_TYPE_ERROR", "args")
    required = ("name_label", "name_description", "SR", "virtual_size", "type", "sharable", "read_only",
                "other_config")
    for f in required:
        if f not in args:
            raise XapiError("INTERNAL_ERROR", "Not_found")
    return create_vdi(c.st, **{k: schema.coerce("VDI", k, v) for k, v in args.items() if k in schema.TYPES["VDI"]
                               and k in required + ("xenstore_data", "sm_config", "tags")})


def create_vdi(st, SR, virtual_size, **fields):
    st.get("SR", SR)
    if virtual_size < 0:
        raise XapiError("INVALID_VALUE", "virtual_size", virtual_size)
    if model.is_thick(st, SR):
        model.need_space(st, SR, virtual_size)
    uuid = store.new_uuid()
    model.new_vdi_file(st, uuid, virtual_size)
    return st.add("VDI", uuid=uuid, SR=SR, virtual_size=virtual_size, location=uuid, managed=True, **fields)


# ---- task --------------------------------------------------------------------------------------------------------------
@api("task.create", 2)
def task_create(c, label, description):
    return new_task(c.st, str(label), str(description), c.host())


@api("task.destroy", 1)
def task_destroy(c, task):
    c.st.get("task", task)
    c.st.remove("task", task)


@api("task.cancel", 1)
def task_cancel(c, task):
    rec = c.st.get("task", task)
    if rec["status"] == "pending":
        rec.update(status="cancelled", progress=1.0, finished=store.now(), error_info=["TASK_CANCELLED", task])


__all__ = ["Api", "Config", "DateTime", "METHODS"]
