using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;

namespace Outrigger.Coordination.Etcd;

/// <summary>
/// The channels to the cluster's members and the one currently used. A call that fails with a connection or
/// availability error moves the client to the next member; reads are retried there within the request budget,
/// writes only surface <see cref="CoordinationError.Unavailable"/> (their outcome is unknown, as with etcd's own client).
/// </summary>
internal sealed partial class EtcdConnection : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly ILogger _logger;
    private int _current;

    public EtcdConnection(EtcdStoreOptions options, TimeProvider time, ILogger logger)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one etcd endpoint is needed", nameof(options));
        }

        Options = options;
        Time = time;
        _logger = logger;
        var tls = EtcdTls.ClientOptions(options);
        _channels = options.Endpoints.Select(endpoint => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            SslOptions = endpoint.Scheme == Uri.UriSchemeHttps ? tls : null,
            ConnectTimeout = options.DialTimeout,
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            MaxReceiveMessageSize = null,
            TimeProvider = time,
        })).ToArray();
    }

    public EtcdStoreOptions Options { get; }

    public TimeProvider Time { get; }

    /// <summary>The member in use and its index (pass the index to <see cref="Failed"/>).</summary>
    public (GrpcChannel Channel, int Index) Current
    {
        get
        {
            var index = Volatile.Read(ref _current);
            return (_channels[index], index);
        }
    }

    /// <summary>Moves to the next member if <paramref name="index"/> is still the current one.</summary>
    public void Failed(int index, string why)
    {
        var next = (index + 1) % _channels.Length;
        if (Interlocked.CompareExchange(ref _current, next, index) == index && _channels.Length > 1)
        {
            LogFailover(_logger, _channels[index].Address, _channels[next].Address, why);
        }
    }

    /// <summary>
    /// A unary call with failover. <paramref name="idempotent"/> calls are retried on the next member after a transient
    /// error until <see cref="EtcdStoreOptions.RequestTimeout"/> is spent; others fail at once with an "outcome unknown" error.
    /// </summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, bool idempotent, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var started = Time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var (channel, index) = Current;
            var remaining = Options.RequestTimeout - Time.GetElapsedTime(started);
            try
            {
                using var call = channel.AsyncUnaryCall(method, request, new CallOptions(CancellationToken: cancellationToken) { Timeout = remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1) });
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("the call was cancelled", e, cancellationToken);
            }
            catch (RpcException e) when (EtcdErrors.IsTransient(e))
            {
                Failed(index, e.Status.Detail);
                if (!idempotent || Time.GetElapsedTime(started) >= Options.RequestTimeout)
                {
                    throw EtcdErrors.Map(e, channel.Address.ToString(), outcomeUnknown: !idempotent);
                }
            }
            catch (RpcException e)
            {
                throw EtcdErrors.Map(e, channel.Address.ToString());
            }

            await Task.Delay(Backoff(attempt), Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Delay before retry <paramref name="attempt"/> (0-based): 50 ms doubling to 1 s. The first pass over the members is quick.</summary>
    public TimeSpan Backoff(int attempt) =>
        attempt < _channels.Length ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromMilliseconds(Math.Min(1000, 50 << Math.Min(attempt - _channels.Length + 1, 5)));

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "etcd member {From} failed ({Reason}); switching to {To}")]
    private static partial void LogFailover(ILogger logger, Uri from, Uri to, string reason);
}
