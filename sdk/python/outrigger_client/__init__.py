"""Outrigger workflows for Python apps: run durable workflow code beside the sidecar (WorkflowClient) and start and
observe workflows through a node (ManagementClient). See docs/workflows.md."""

from .client import (
    CheckpointTooLargeError,
    NonDeterministicWorkflowError,
    WorkflowCancelled,
    WorkflowClient,
    WorkflowContext,
    WorkflowError,
)
from .management import ManagementClient, WorkflowOutcome

__all__ = [
    "CheckpointTooLargeError",
    "ManagementClient",
    "NonDeterministicWorkflowError",
    "WorkflowCancelled",
    "WorkflowClient",
    "WorkflowContext",
    "WorkflowError",
    "WorkflowOutcome",
]
