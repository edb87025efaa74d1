using Outrigger.Grpc;
using Outrigger.Grpc.Server;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Protocol;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Apps;

/// <summary><c>RaftoralSidecar.WorkflowStream</c>: one engine session per app stream; messages in, the session's outbox out.</summary>
internal sealed class AppStreamService(WorkflowEngine engine)
{
    public void Register(GrpcServiceRegistry registry) => registry.AddDuplexStreaming(SidecarMethods.WorkflowStream, HandleAsync);

    private async Task HandleAsync(IAsyncStreamReader<AppMessage> requests, IServerStreamWriter<SidecarMessage> responses, ServerCallContext context)
    {
        var session = engine.Open(context.Peer);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, session.Aborted);
        var writer = WriteAsync(session, responses, stop.Token);
        try
        {
            while (await requests.MoveNext(stop.Token).ConfigureAwait(false))
            {
                engine.Receive(session, requests.Current);
            }
        }
        catch (OperationCanceledException) when (session.Aborted.IsCancellationRequested)
        {
            throw new RpcException(new Status(session.AbortStatus, session.AbortReason ?? "the sidecar closed the stream"));
        }
        catch (IOException e)
        {
            // The app went away (its process died, the connection dropped): an ordinary end of the session.
            session.Abort(StatusCode.Unavailable, "the connection to the app was lost: " + e.Message);
        }
        finally
        {
            engine.Close(session);
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drains the session's outbox to the app until the session completes; a failed write closes the session. Messages
    /// with more queued behind them are only framed (buffer hint): the last of a burst flushes them all in one write.
    /// </summary>
    private static async Task WriteAsync(AppSession session, IServerStreamWriter<SidecarMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await responses.WriteAllAsync(session.Outbox, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException or InvalidOperationException)
        {
            session.Abort(StatusCode.Unavailable, "writing to the app failed: " + e.Message);
        }
    }
}
