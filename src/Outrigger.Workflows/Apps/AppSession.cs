using System.Threading.Channels;
using Outrigger.Grpc;
using Outrigger.Workflows.Engine;
using Raftoral.Sidecar;

namespace Outrigger.Workflows.Apps;

/// <summary>
/// One connected app stream. Messages to the app are queued in <see cref="Outbox"/> (drained by the stream's writer);
/// the engine's loop owns <see cref="Registrations"/> and <see cref="Assigned"/>.
/// </summary>
internal sealed class AppSession
{
    private readonly Channel<SidecarMessage> _outbox = Channel.CreateUnbounded<SidecarMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private long _lastSeen;

    public AppSession(long id, string peer, long now)
    {
        Id = id;
        Peer = peer;
        _lastSeen = now;
    }

    public long Id { get; }

    public string Peer { get; }

    public ChannelReader<SidecarMessage> Outbox => _outbox.Reader;

    /// <summary>Types this stream registered (loop-owned).</summary>
    public HashSet<WorkflowType> Registrations { get; } = [];

    /// <summary>Workflows currently given to this stream (loop-owned).</summary>
    public int Assigned { get; set; }

    /// <summary>Fires when the engine closes the stream (heartbeat timeout, shutdown); <see cref="AbortReason"/> says why.</summary>
    public CancellationToken Aborted => _abort.Token;

    public string? AbortReason { get; private set; }

    /// <summary>The status the stream ends with after <see cref="Abort"/>.</summary>
    public StatusCode AbortStatus { get; private set; } = StatusCode.Unavailable;

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last message from the app.</summary>
    public long LastSeen => Volatile.Read(ref _lastSeen);

    public void Touch(long now) => Volatile.Write(ref _lastSeen, now);

    public void Send(SidecarMessage message) => _outbox.Writer.TryWrite(message);

    public void SendError(StreamError.Types.Code code, string message, string workflowId = "", string checkpointName = "") =>
        Send(new SidecarMessage { Error = new StreamError { Code = code, Message = message, WorkflowId = workflowId, CheckpointName = checkpointName } });

    public void Abort(StatusCode status, string reason)
    {
        if (AbortReason is null)
        {
            AbortReason = reason;
            AbortStatus = status;
        }

        _abort.Cancel();
    }

    public void Complete() => _outbox.Writer.TryComplete();

    public override string ToString() => $"app stream {Id} ({Peer})";
}
