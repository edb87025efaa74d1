"""The app side of Outrigger workflows: run workflow code for the sidecar over RaftoralSidecar.WorkflowStream."""

import json
import logging
import queue
import threading
import time

import grpc

from . import sidecar_pb2 as pb

log = logging.getLogger("outrigger_client")

_STREAM = "/raftoral.sidecar.RaftoralSidecar/WorkflowStream"
_CLOSE = object()


class WorkflowError(Exception):
    """A workflow could not go on: a refused checkpoint, non-deterministic code, a value over the limit."""


class NonDeterministicWorkflowError(WorkflowError):
    """On replay the workflow reached another checkpoint than the one committed at that position."""


class CheckpointTooLargeError(WorkflowError):
    """A checkpoint value or result is larger than the limit."""


class WorkflowCancelled(Exception):
    """The execution was cancelled (by an operator, because it finished elsewhere, or because the stream dropped)."""


def _target(url):
    """'http://host:port' or 'host:port' -> 'host:port' (the sidecar port is h2c)."""
    for prefix in ("http://", "grpc://"):
        if url.startswith(prefix):
            url = url[len(prefix):]
    return url.rstrip("/")


class WorkflowContext:
    """One execution of a workflow in this app. Checkpoints return the committed value (replayed without running the
    function again after a reconnect or on a standby; computed by the owner otherwise)."""

    def __init__(self, request, send, max_bytes):
        self.workflow_id = request.workflow_id
        self.workflow_name = request.workflow_name
        self.version = request.version
        self.input = bytes(request.input)
        self.is_owner = request.is_owner
        self.committed_at_start = request.committed_checkpoints
        self.cancelled = threading.Event()
        self.cancel_reason = ""
        self._inbox = queue.Queue()
        self._pending = []
        self._committed = []
        self._next = 0
        self._send = send
        self._max_bytes = max_bytes

    def checkpoint(self, name, compute):
        """A checkpoint whose value compute() gives (cheap, deterministic): it runs on every replica that reaches the
        checkpoint before its value is committed; the owner's value is committed and returned everywhere."""
        return json.loads(self.checkpoint_bytes(name, lambda: _dumps(compute()), everywhere=True))

    def checkpoint_compute(self, name, compute):
        """A checkpoint whose value compute() gives, run on the owner only (side effects, calls to other systems)."""
        return json.loads(self.checkpoint_bytes(name, lambda: _dumps(compute()), everywhere=False))

    def checkpoint_bytes(self, name, compute, everywhere):
        """The checkpoint protocol on raw bytes."""
        position = self._next
        value = None
        proposed = False
        while True:
            refusal = self._drain(name)
            if refusal is not None:
                proposed = self._handle_refusal(refusal)
            if len(self._committed) > position:
                return self._take(position, name)
            if not proposed and position >= self.committed_at_start and (self.is_owner or (everywhere and value is None)):
                if value is None:
                    value = compute()
                    if len(value) > self._max_bytes:
                        raise CheckpointTooLargeError(
                            "checkpoint '%s' of workflow %s is %d bytes, over the limit of %d bytes"
                            % (name, self.workflow_id, len(value), self._max_bytes))
                if self.is_owner:
                    proposal = pb.CheckpointProposal(workflow_id=self.workflow_id, checkpoint_name=name, value=value, sequence=position)
                    self._send(pb.AppMessage(checkpoint_proposal=proposal))
                    proposed = True
            self._wait()

    def _wait(self):
        while True:
            if self.cancelled.is_set():
                raise WorkflowCancelled(self.cancel_reason)
            try:
                self._pending.append(self._inbox.get(timeout=0.1))
                return
            except queue.Empty:
                continue

    def _drain(self, name):
        refusal = None
        while True:
            if self._pending:
                message = self._pending.pop(0)
            else:
                try:
                    message = self._inbox.get_nowait()
                except queue.Empty:
                    return refusal
            kind = message.WhichOneof("message")
            if kind == "checkpoint_event":
                self._committed.append(message.checkpoint_event)
            elif kind == "ownership_change":
                self.is_owner = message.ownership_change.is_owner
            elif kind == "error" and message.error.checkpoint_name in (name, ""):
                refusal = message.error

    def _handle_refusal(self, error):
        """Returns whether a proposal is still outstanding."""
        code = pb.StreamError.Code.Name(error.code)
        if code == "NOT_OWNER":
            self.is_owner = False
            return False
        if code == "OUT_OF_ORDER":
            return True
        if code == "UNAVAILABLE":
            time.sleep(0.2)
            return False
        raise WorkflowError("the sidecar refused a checkpoint of workflow %s: %s: %s" % (self.workflow_id, code, error.message))

    def _take(self, position, name):
        committed = self._committed[position]
        if committed.checkpoint_name != name:
            raise NonDeterministicWorkflowError(
                "workflow %s reached checkpoint '%s' at position %d, but '%s' was committed there"
                % (self.workflow_id, name, position, committed.checkpoint_name))
        self._next = position + 1
        return bytes(committed.value)

    def deliver(self, message):
        self._inbox.put(message)

    def cancel(self, reason):
        self.cancel_reason = reason
        self.cancelled.set()


def _dumps(value):
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class WorkflowClient:
    """Runs an app's workflows for its sidecar (default 127.0.0.1:9001): register handlers with @client.workflow(name,
    version), then run() (blocks; reconnects with backoff; stop() or SIGTERM ends it). Each execution runs in its own
    thread; its result is sent to the sidecar."""

    def __init__(self, url="127.0.0.1:9001", heartbeat_interval=5.0, sidecar_timeout=15.0, max_checkpoint_bytes=1 << 20):
        self._target = _target(url)
        self._heartbeat_interval = heartbeat_interval
        self._sidecar_timeout = sidecar_timeout
        self._max_bytes = max_checkpoint_bytes
        self._handlers = {}
        self._runs = {}
        self._lock = threading.Lock()
        self._outgoing = None
        self._unacknowledged = set()
        self._registered = threading.Event()
        self._stopping = threading.Event()
        self._call = None
        self._last_received = time.monotonic()

    def workflow(self, name, version=1):
        """Decorator: registers fn(ctx, input) as workflow `name` v`version`; input and result are JSON values."""
        def register(fn):
            self.register_workflow(name, version, lambda ctx, raw: _dumps(fn(ctx, json.loads(raw or b"null"))))
            return fn
        return register

    def register_workflow(self, name, version, handler):
        """Registers handler(ctx, input_bytes) -> result_bytes."""
        if not name or version < 1:
            raise ValueError("a workflow needs a name and a version of at least 1")
        with self._lock:
            self._handlers[(name, version)] = handler
            self._unacknowledged.add((name, version))
            self._registered.clear()
            if self._outgoing is not None:
                self._outgoing.put(_registration(name, version))

    def wait_registered(self, timeout=None):
        """True once the sidecar acknowledged every registration on the current stream."""
        return self._registered.wait(timeout)

    @property
    def running(self):
        with self._lock:
            return len(self._runs)

    def stop(self):
        self._stopping.set()
        with self._lock:
            if self._outgoing is not None:
                self._outgoing.put(_CLOSE)
            call = self._call
        if call is not None:
            call.cancel()

    def run(self):
        delay = 0.1
        while not self._stopping.is_set():
            served = self._serve_one_stream()
            if self._stopping.is_set():
                break
            delay = 0.1 if served else min(delay * 2, 2.0)
            self._stopping.wait(delay)

    def _serve_one_stream(self):
        outgoing = queue.Queue()
        with self._lock:
            self._outgoing = outgoing
            self._unacknowledged = set(self._handlers)
            self._registered.clear()
            for name, version in self._handlers:
                outgoing.put(_registration(name, version))
            if not self._handlers:
                self._registered.set()
        received = False
        channel = grpc.insecure_channel(self._target)
        stream = channel.stream_stream(_STREAM, request_serializer=pb.AppMessage.SerializeToString, response_deserializer=pb.SidecarMessage.FromString)
        self._last_received = time.monotonic()
        heartbeat_stop = threading.Event()
        try:
            call = stream(_requests(outgoing))
            with self._lock:
                self._call = call
            threading.Thread(target=self._heartbeats, args=(outgoing, call, heartbeat_stop), daemon=True).start()
            for message in call:
                received = True
                self._last_received = time.monotonic()
                self._dispatch(message)
            log.warning("the sidecar ended the workflow stream")
        except grpc.RpcError as e:
            if not self._stopping.is_set():
                log.warning("workflow stream ended: %s: %s", e.code(), e.details())
        finally:
            heartbeat_stop.set()
            with self._lock:
                self._outgoing = None
                self._call = None
                runs = list(self._runs.values())
                self._runs.clear()
            outgoing.put(_CLOSE)
            for ctx in runs:
                ctx.cancel("the stream to the sidecar dropped")
            channel.close()
        return received

    def _heartbeats(self, outgoing, call, stop):
        while not stop.wait(self._heartbeat_interval):
            if time.monotonic() - self._last_received > self._sidecar_timeout:
                log.warning("nothing from the sidecar for %.0f s; reconnecting", self._sidecar_timeout)
                call.cancel()
                return
            outgoing.put(pb.AppMessage(heartbeat=pb.HeartbeatRequest(timestamp=int(time.time() * 1000))))

    def _dispatch(self, message):
        kind = message.WhichOneof("message")
        if kind == "execute_workflow":
            self._execute(message.execute_workflow)
        elif kind in ("checkpoint_event", "ownership_change"):
            self._deliver(getattr(message, kind).workflow_id, message)
        elif kind == "workflow_cancellation":
            with self._lock:
                ctx = self._runs.pop(message.workflow_cancellation.workflow_id, None)
            if ctx is not None:
                ctx.cancel(message.workflow_cancellation.reason)
        elif kind == "error":
            log.warning("the sidecar refused a message: %s: %s", pb.StreamError.Code.Name(message.error.code), message.error.message)
            if message.error.workflow_id:
                self._deliver(message.error.workflow_id, message)
        elif kind == "workflow_registered":
            with self._lock:
                self._unacknowledged.discard((message.workflow_registered.workflow_name, message.workflow_registered.version))
                if not self._unacknowledged:
                    self._registered.set()

    def _deliver(self, workflow_id, message):
        with self._lock:
            ctx = self._runs.get(workflow_id)
        if ctx is not None:
            ctx.deliver(message)

    def _send(self, message):
        with self._lock:
            if self._outgoing is not None:
                self._outgoing.put(message)

    def _execute(self, request):
        handler = self._handlers.get((request.workflow_name, request.version))
        if handler is None:
            self._send(_failure(request.workflow_id, "this app has no handler for workflow %s v%d" % (request.workflow_name, request.version)))
            return
        ctx = WorkflowContext(request, self._send, self._max_bytes)
        with self._lock:
            previous = self._runs.get(request.workflow_id)
            self._runs[request.workflow_id] = ctx
        if previous is not None:
            previous.cancel("replaced by a new execution")
        threading.Thread(target=self._run_handler, args=(ctx, handler), daemon=True).start()

    def _run_handler(self, ctx, handler):
        try:
            result = handler(ctx, ctx.input)
            if len(result) > self._max_bytes:
                message = _failure(ctx.workflow_id, "the result is %d bytes, over the limit of %d bytes" % (len(result), self._max_bytes))
            else:
                message = pb.AppMessage(workflow_result=pb.WorkflowResult(workflow_id=ctx.workflow_id, success=True, result=result))
        except WorkflowCancelled:
            return
        except Exception as e:  # the workflow failed: its error is its result
            if ctx.cancelled.is_set():
                return
            log.warning("workflow %s failed: %s", ctx.workflow_id, e)
            message = _failure(ctx.workflow_id, str(e) or type(e).__name__)
        with self._lock:
            current = self._runs.get(ctx.workflow_id) is ctx and not ctx.cancelled.is_set()
            if current:
                del self._runs[ctx.workflow_id]
        if current:
            self._send(message)


def _requests(outgoing):
    while True:
        message = outgoing.get()
        if message is _CLOSE:
            return
        yield message


def _registration(name, version):
    return pb.AppMessage(register_workflow=pb.RegisterWorkflowRequest(workflow_name=name, version=version))


def _failure(workflow_id, error):
    return pb.AppMessage(workflow_result=pb.WorkflowResult(workflow_id=workflow_id, success=False, error=error))
