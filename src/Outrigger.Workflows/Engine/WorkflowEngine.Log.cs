using Microsoft.Extensions.Logging;

namespace Outrigger.Workflows.Engine;

internal sealed partial class WorkflowEngine
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Workflow engine of node {Node} started with {Replicas} unfinished workflows (store revision {Revision})")]
        public static partial void Started(ILogger logger, string node, int replicas, long revision);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "App connected: {Session}")]
        public static partial void AppConnected(ILogger logger, string session);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "App disconnected: {Session}: {Reason}")]
        public static partial void AppDisconnected(ILogger logger, string session, string reason);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Session} registered {Type}")]
        public static partial void Registered(ILogger logger, string session, string type);

        [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Session} sent nothing for {Seconds} s; closing it")]
        public static partial void AppTimedOut(ILogger logger, string session, double seconds);

        [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Workflow {WorkflowId} assigned to {Session}")]
        public static partial void Assigned(ILogger logger, string workflowId, string session);

        [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "This node owns workflow {WorkflowId} (epoch {Epoch})")]
        public static partial void Owns(ILogger logger, string workflowId, ulong epoch);

        [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "Claim of workflow {WorkflowId} for epoch {Epoch}: {Succeeded}")]
        public static partial void Claim(ILogger logger, string workflowId, ulong epoch, bool succeeded);

        [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Claiming workflow {WorkflowId} failed: {Reason}")]
        public static partial void ClaimFailed(ILogger logger, string workflowId, string reason);

        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Releasing workflow {WorkflowId}: no app has run it for {Seconds} s and another replica has one")]
        public static partial void Releasing(ILogger logger, string workflowId, double seconds);

        [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Workflow {WorkflowId} finished: {Outcome} (recorded by node {Node})")]
        public static partial void Finished(ILogger logger, string workflowId, string outcome, string node);

        [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Workflow {WorkflowId}: write refused: {Reason}")]
        public static partial void WriteRefused(ILogger logger, string workflowId, string reason);

        [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Workflow {WorkflowId}: store unavailable, retrying: {Reason}")]
        public static partial void WriteRetry(ILogger logger, string workflowId, string reason);

        [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Publishing the node record failed: {Reason}")]
        public static partial void PublishFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Node {Node} lost its lease {LeaseId}; its ownerships are gone, getting a new lease")]
        public static partial void LeaseLost(ILogger logger, string node, long leaseId);

        [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "The watch fell behind compaction ({Reason}); re-reading the store")]
        public static partial void WatchCompacted(ILogger logger, string reason);

        [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "The watch failed, reconnecting: {Reason}")]
        public static partial void WatchFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 18, Level = LogLevel.Error, Message = "Workflow {WorkflowId}: checkpoint #{Sequence} arrived after #{Count} was expected; re-reading the store")]
        public static partial void CheckpointGap(ILogger logger, string workflowId, ulong sequence, int count);

        [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "Another sidecar process now runs as node {Node} (lease {LeaseId}); this one stops serving workflows")]
        public static partial void Superseded(ILogger logger, string node, long leaseId);

        [LoggerMessage(EventId = 19, Level = LogLevel.Error, Message = "Handling {Command} failed")]
        public static partial void CommandFailed(ILogger logger, string command, Exception exception);

        [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Background work failed: {What}")]
        public static partial void BackgroundFailed(ILogger logger, string what, Exception exception);
    }
}
