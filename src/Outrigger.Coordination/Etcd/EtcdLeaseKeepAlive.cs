using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>
/// Keep-alives over one shared LeaseKeepAlive stream (etcd has no unary keep-alive). A request is answered by the
/// next response carrying its lease id; TTL 0 means the lease is gone. When the stream breaks, waiting callers
/// retry on a new stream to the next member within the request budget (a keep-alive is safe to repeat).
/// </summary>
internal sealed class EtcdLeaseKeepAlive : IAsyncDisposable
{
    private readonly EtcdConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KeepAliveStream? _stream;

    public EtcdLeaseKeepAlive(EtcdConnection connection)
    {
        _connection = connection;
    }

    public async Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken)
    {
        var started = _connection.Time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var remaining = _connection.Options.RequestTimeout - _connection.Time.GetElapsedTime(started);
            KeepAliveStream? stream = null;
            try
            {
                stream = await GetStreamAsync(cancellationToken).ConfigureAwait(false);
                var answer = stream.Expect(leaseId);
                await stream.SendAsync(leaseId, cancellationToken).ConfigureAwait(false);
                var ttl = await answer.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _connection.Time, cancellationToken).ConfigureAwait(false);
                return ttl > 0 ? TimeSpan.FromSeconds(ttl) : throw new CoordinationException(CoordinationError.LeaseNotFound, $"lease {leaseId} not found (expired or revoked)");
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested && (EtcdErrors.IsTransient(e) || e.StatusCode == StatusCode.Cancelled))
            {
                await DropAsync(stream, e.Status.Detail).ConfigureAwait(false);
                if (_connection.Time.GetElapsedTime(started) >= _connection.Options.RequestTimeout)
                {
                    throw EtcdErrors.Map(e, stream?.Endpoint ?? "etcd");
                }
            }
            catch (TimeoutException e)
            {
                await DropAsync(stream, "no answer in time").ConfigureAwait(false);
                throw EtcdErrors.Unavailable($"no answer to the keep-alive of lease {leaseId}", outcomeUnknown: false, e);
            }

            await Task.Delay(_connection.Backoff(attempt), _connection.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        _stream?.Dispose();
        _stream = null;
        _gate.Release();
    }

    private async Task<KeepAliveStream> GetStreamAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stream is null || _stream.IsBroken)
            {
                _stream?.Dispose();
                var (channel, index) = _connection.Current;
                _stream = new KeepAliveStream(channel, index);
            }

            return _stream;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DropAsync(KeepAliveStream? stream, string why)
    {
        if (stream is null)
        {
            return;
        }

        _connection.Failed(stream.Index, why);
        await _gate.WaitAsync().ConfigureAwait(false);
        if (ReferenceEquals(_stream, stream))
        {
            _stream.Dispose();
            _stream = null;
        }

        _gate.Release();
    }

    /// <summary>One LeaseKeepAlive call and the callers waiting for an answer, by lease id.</summary>
    private sealed class KeepAliveStream : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly SemaphoreSlim _writing = new(1, 1);
        private readonly Dictionary<long, List<TaskCompletionSource<long>>> _waiters = [];
        private Exception? _broken;

        public KeepAliveStream(GrpcChannel channel, int index)
        {
            Index = index;
            Endpoint = channel.Address.ToString();
            Call = channel.AsyncDuplexStreamingCall(EtcdMethods.LeaseKeepAlive);
            _ = Task.Run(ReadLoopAsync);
        }

        private AsyncDuplexStreamingCall<Pb.LeaseKeepAliveRequest, Pb.LeaseKeepAliveResponse> Call { get; }

        public int Index { get; }

        public string Endpoint { get; }

        public bool IsBroken => Volatile.Read(ref _broken) is not null;

        public Task<long> Expect(long leaseId)
        {
            var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (_broken is not null)
                {
                    waiter.SetException(_broken);
                }
                else if (_waiters.TryGetValue(leaseId, out var list))
                {
                    list.Add(waiter);
                }
                else
                {
                    _waiters[leaseId] = [waiter];
                }
            }

            return waiter.Task;
        }

        public async Task SendAsync(long leaseId, CancellationToken cancellationToken)
        {
            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Call.RequestStream.WriteAsync(new Pb.LeaseKeepAliveRequest { ID = leaseId }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }
        }

        public void Dispose()
        {
            Break(new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream was closed")));
            Call.Dispose();
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (await Call.ResponseStream.MoveNext().ConfigureAwait(false))
                {
                    var response = Call.ResponseStream.Current;
                    List<TaskCompletionSource<long>>? waiting;
                    lock (_lock)
                    {
                        _waiters.Remove(response.ID, out waiting);
                    }

                    foreach (var waiter in waiting ?? [])
                    {
                        waiter.TrySetResult(response.TTL);
                    }
                }

                Break(new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended")));
            }
            catch (RpcException e)
            {
                Break(e);
            }
        }

        private void Break(Exception reason)
        {
            List<TaskCompletionSource<long>> waiting;
            lock (_lock)
            {
                _broken ??= reason;
                waiting = _waiters.Values.SelectMany(w => w).ToList();
                _waiters.Clear();
            }

            foreach (var waiter in waiting)
            {
                waiter.TrySetException(reason);
            }
        }
    }
}
