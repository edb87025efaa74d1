using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Pb = Outrigger.Coordination.Etcd.Protocol;

namespace Outrigger.Coordination.Etcd;

/// <summary>
/// Keep-alives over one shared LeaseKeepAlive stream (etcd has no unary keep-alive). A request is answered by the
/// next response carrying its lease id; TTL 0 means the lease is gone. A member that does not answer within the dial
/// timeout is treated as down, like a broken stream: the keep-alive is retried on a new stream to the next member
/// within the request budget (a keep-alive is safe to repeat). The caller's cancellation ends a keep-alive at once,
/// whatever it is waiting for, so an owner can bound it by its lease's expiry.
/// </summary>
internal sealed class EtcdLeaseKeepAlive : IAsyncDisposable
{
    private static readonly Metadata RequireLeader = new Metadata().Add("hasleader", "true");
    private readonly EtcdConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KeepAliveStream? _stream;

    public EtcdLeaseKeepAlive(EtcdConnection connection)
    {
        _connection = connection;
    }

    private TimeProvider Time => _connection.Time;

    public async Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            using var answerTimeout = new CancellationTokenSource(AnswerTimeout(started), Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, answerTimeout.Token);
            KeepAliveStream? stream = null;
            Task<long>? answer = null;
            try
            {
                stream = await GetStreamAsync(linked.Token).ConfigureAwait(false);
                answer = stream.Expect(leaseId);
                await stream.SendAsync(leaseId, linked.Token).ConfigureAwait(false);
                var ttl = await answer.WaitAsync(linked.Token).ConfigureAwait(false);
                return ttl > 0 ? TimeSpan.FromSeconds(ttl) : throw new CoordinationException(CoordinationError.LeaseNotFound, $"lease {leaseId} not found (expired or revoked)");
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                stream?.Forget(leaseId, answer);
                throw new OperationCanceledException("the keep-alive was cancelled", e, cancellationToken);
            }
            catch (OperationCanceledException e) when (answerTimeout.IsCancellationRequested)
            {
                stream?.Forget(leaseId, answer);
                await DropAsync(stream, "no answer to a keep-alive in time").ConfigureAwait(false);
                if (Time.GetElapsedTime(started) >= _connection.Options.RequestTimeout)
                {
                    throw EtcdErrors.Unavailable($"no answer to the keep-alive of lease {leaseId}", outcomeUnknown: false, e);
                }
            }
            catch (RpcException e) when (EtcdErrors.IsTransient(e) || e.StatusCode == StatusCode.Cancelled)
            {
                await DropAsync(stream, e.Status.Detail).ConfigureAwait(false);
                if (Time.GetElapsedTime(started) >= _connection.Options.RequestTimeout)
                {
                    throw EtcdErrors.Map(e, stream?.Endpoint ?? "etcd");
                }
            }
            catch (RpcException e)
            {
                throw EtcdErrors.Map(e, stream?.Endpoint ?? "etcd");
            }

            await Task.Delay(_connection.Backoff(attempt), Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long one attempt waits for its answer: the dial timeout, within what is left of the request budget.</summary>
    private TimeSpan AnswerTimeout(long started)
    {
        var options = _connection.Options;
        var remaining = options.RequestTimeout - Time.GetElapsedTime(started);
        var wait = remaining < options.DialTimeout ? remaining : options.DialTimeout;
        return wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1);
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
            Call = channel.AsyncDuplexStreamingCall(EtcdMethods.LeaseKeepAlive, new CallOptions(RequireLeader));
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

        /// <summary>Stops waiting for an answer the caller gave up on.</summary>
        public void Forget(long leaseId, Task<long>? answer)
        {
            if (answer is null)
            {
                return;
            }

            lock (_lock)
            {
                if (_waiters.TryGetValue(leaseId, out var list))
                {
                    list.RemoveAll(w => w.Task == answer);
                    if (list.Count == 0)
                    {
                        _waiters.Remove(leaseId);
                    }
                }
            }
        }

        public async Task SendAsync(long leaseId, CancellationToken cancellationToken)
        {
            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Call.RequestStream.WriteAsync(new Pb.LeaseKeepAliveRequest { ID = leaseId }, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                // The call ended without an error status (the member closed the stream): as broken as any other end.
                throw new RpcException(new Status(StatusCode.Unavailable, "the keep-alive stream ended"), Metadata.Empty, e);
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
