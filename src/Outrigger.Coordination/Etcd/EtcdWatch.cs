using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>
/// A watch over one etcd Watch stream. It remembers the next revision to deliver; when the stream breaks (member
/// killed, leader lost), it reopens on the next member from that revision, so no event is lost or repeated. Events at
/// revisions already delivered are dropped should a server resend them. Requires a leader (etcd's <c>hasleader</c>
/// metadata), so a member cut off from the cluster ends the stream instead of going silent.
/// </summary>
internal sealed partial class EtcdWatch : IWatch
{
    private static readonly Metadata RequireLeader = new Metadata().Add("hasleader", "true");
    private readonly EtcdConnection _connection;
    private readonly KeyRange _range;
    private readonly ILogger _logger;
    private readonly Channel<WatchResponse> _responses = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private long _next;
    private Task _pump = Task.CompletedTask;

    private EtcdWatch(EtcdConnection connection, KeyRange range, long startRevision, ILogger logger)
    {
        _connection = connection;
        _range = range;
        _next = startRevision;
        _logger = logger;
    }

    /// <summary>Opens the watch from <paramref name="startRevision"/> (must be explicit) and returns once etcd confirmed it.</summary>
    public static async Task<EtcdWatch> StartAsync(EtcdConnection connection, KeyRange range, long startRevision, ILogger logger, CancellationToken cancellationToken)
    {
        var watch = new EtcdWatch(connection, range, startRevision, logger);
        watch._pump = Task.Run(watch.PumpAsync, CancellationToken.None);
        try
        {
            await watch._established.Task.WaitAsync(connection.Options.RequestTimeout, connection.Time, cancellationToken).ConfigureAwait(false);
            return watch;
        }
        catch (TimeoutException e)
        {
            await watch.DisposeAsync().ConfigureAwait(false);
            throw EtcdErrors.Unavailable("no member accepted the watch in time", outcomeUnknown: false, e);
        }
        catch
        {
            await watch.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<WatchResponse> ReadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _responses.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e) when (e.InnerException is CoordinationException failure)
        {
            throw failure;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        CoordinationException ending = new(CoordinationError.Closed, "the watch was closed");
        for (var failures = 0; !_stop.IsCancellationRequested; failures++)
        {
            var (channel, index) = _connection.Current;
            try
            {
                if (await RunStreamAsync(channel).ConfigureAwait(false) is { } final)
                {
                    ending = final;
                    break;
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (EtcdErrors.IsTransient(e) || e.StatusCode == StatusCode.Cancelled)
            {
                _connection.Failed(index, e.Status.Detail);
                LogReconnect(_logger, _range.ToString(), _next, channel.Address, e.Status.Detail);
            }
            catch (RpcException e)
            {
                ending = EtcdErrors.Map(e, channel.Address.ToString());
                break;
            }

            try
            {
                await Task.Delay(_connection.Backoff(failures), _connection.Time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        _established.TrySetException(ending);
        _responses.Writer.TryComplete(ending);
    }

    /// <summary>Runs one Watch stream until it breaks (throws), ends (returns null: reconnect) or reports a final error.</summary>
    private async Task<CoordinationException?> RunStreamAsync(GrpcChannel channel)
    {
        using var call = channel.AsyncDuplexStreamingCall(EtcdMethods.WatchStream, new CallOptions(RequireLeader, CancellationToken: _stop.Token));
        var create = new Pb.WatchCreateRequest { Key = ByteString.CopyFrom(_range.Start), StartRevision = _next };
        if (_range.End is not null)
        {
            create.RangeEnd = ByteString.CopyFrom(_range.End);
        }

        await call.RequestStream.WriteAsync(new Pb.WatchRequest { CreateRequest = create }, _stop.Token).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.CompactRevision != 0)
            {
                _established.TrySetResult();
                return new CompactedException(_next, response.CompactRevision);
            }

            if (response.Canceled)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"etcd cancelled the watch: {response.CancelReason}"));
            }

            if (response.Created)
            {
                _established.TrySetResult();
            }

            await DeliverAsync(response.Events).ConfigureAwait(false);
        }

        return null;
    }

    private async Task DeliverAsync(IReadOnlyList<Pb.Event> received)
    {
        List<WatchEvent>? events = null;
        foreach (var e in received)
        {
            if (e.Kv.ModRevision >= _next)
            {
                (events ??= new List<WatchEvent>(received.Count)).Add(EtcdConvert.ToEvent(e));
            }
        }

        if (events is null)
        {
            return;
        }

        _next = events[^1].Kv.ModRevision + 1;
        await _responses.Writer.WriteAsync(new WatchResponse(events), _stop.Token).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Watch on {Range} broke at {Endpoint} ({Reason}); resuming from revision {Next}")]
    private static partial void LogReconnect(ILogger logger, string range, long next, Uri endpoint, string reason);
}
