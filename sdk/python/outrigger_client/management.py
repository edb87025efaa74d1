"""Start and observe workflows through a node's management API (raftoral.WorkflowManagement, default 127.0.0.1:7001)."""

import collections
import json

import grpc

from . import raftoral_pb2 as pb
from .client import _target

WorkflowOutcome = collections.namedtuple("WorkflowOutcome", "workflow_id status success result error")

_SERVICE = "/raftoral.WorkflowManagement/"


class ManagementClient:
    """Refusals raise grpc.RpcError with the node's reason (FAILED_PRECONDITION when no app registered the workflow,
    NOT_FOUND, INVALID_ARGUMENT, DEADLINE_EXCEEDED when a wait runs out)."""

    def __init__(self, url="127.0.0.1:7001"):
        self._channel = grpc.insecure_channel(_target(url))

    def _call(self, method, request, response_type, timeout=None):
        call = self._channel.unary_unary(_SERVICE + method, request_serializer=type(request).SerializeToString, response_deserializer=response_type.FromString)
        return call(request, timeout=timeout)

    def start(self, name, version=1, input=None, workflow_id=""):
        """Starts a workflow (idempotent by workflow_id) and returns its id."""
        request = pb.RunWorkflowRequest(workflow_type=name, version=version, input_json=json.dumps(input), workflow_id=workflow_id or "")
        return self._call("RunWorkflowAsync", request, pb.RunWorkflowAsyncResponse).workflow_id

    def run(self, name, version=1, input=None, workflow_id="", timeout=60):
        """Starts a workflow and waits for its outcome."""
        request = pb.RunWorkflowRequest(workflow_type=name, version=version, input_json=json.dumps(input), workflow_id=workflow_id or "")
        return _outcome(self._call("RunWorkflowSync", request, pb.RunWorkflowResponse, timeout=timeout))

    def wait(self, workflow_id, timeout=60):
        request = pb.WaitForWorkflowRequest(workflow_id=workflow_id, timeout_seconds=int(timeout))
        return _outcome(self._call("WaitForWorkflowCompletion", request, pb.RunWorkflowResponse, timeout=timeout + 5))

    def get(self, workflow_id):
        """The workflow's details: summary (status, owner, epoch), replicas, input, result and checkpoint history."""
        return self._call("GetWorkflow", pb.GetWorkflowRequest(workflow_id=workflow_id), pb.WorkflowInfo)

    def list(self, status=None, limit=0):
        request = pb.ListWorkflowsRequest(status=pb.WorkflowStatus.Value(status) if status else 0, limit=limit)
        return list(self._call("ListWorkflows", request, pb.ListWorkflowsResponse).workflows)

    def cancel(self, workflow_id, reason=""):
        """True when this call cancelled it; False when it had already finished."""
        return self._call("CancelWorkflow", pb.CancelWorkflowRequest(workflow_id=workflow_id, reason=reason), pb.CancelWorkflowResponse).cancelled

    def close(self):
        self._channel.close()


def _outcome(response):
    result = json.loads(response.result_json) if response.result_json else None
    return WorkflowOutcome(response.workflow_id, pb.WorkflowStatus.Name(response.status), response.success, result, response.error)
