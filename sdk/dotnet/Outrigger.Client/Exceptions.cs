namespace Outrigger.Client;

/// <summary>A workflow could not go on: the sidecar refused a checkpoint, the code is not deterministic, a value is too large.</summary>
public class WorkflowException : Exception
{
    public WorkflowException(string message)
        : base(message)
    {
    }

    public WorkflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WorkflowException()
    {
    }
}

/// <summary>On replay, the workflow reached a different checkpoint than the one committed at that position.</summary>
public sealed class NonDeterministicWorkflowException(string message) : WorkflowException(message);

/// <summary>A checkpoint value or result is larger than the limit.</summary>
public sealed class CheckpointTooLargeException(string message) : WorkflowException(message);
