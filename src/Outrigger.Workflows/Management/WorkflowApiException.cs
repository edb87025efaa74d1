namespace Outrigger.Workflows.Management;

/// <summary>Why a management call was refused; mapped to a gRPC status and an HTTP status by the two front ends.</summary>
internal enum ApiError
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    NoApp,
    TooLarge,
    Unavailable,
}

/// <summary>A refused management call, with a message meant for the caller.</summary>
internal sealed class WorkflowApiException(ApiError error, string message) : Exception(message)
{
    public ApiError Error { get; } = error;
}
