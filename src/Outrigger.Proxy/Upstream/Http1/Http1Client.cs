using System.Runtime.CompilerServices;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// Our own HTTP/1.1 client for one endpoint (see docs/upstream-client.md): pooled keep-alive connections, the request
/// head written straight from <see cref="UpstreamRequest"/>, the response head parsed straight into a list. A request that
/// fails on a reused connection before any response byte arrived (the upstream closed it as we reused it) is sent once
/// more on a new connection when its body can be sent again.
/// </summary>
internal sealed class Http1Client : IUpstreamClient
{
    private readonly Http1Pool _pool;
    private readonly Http1Connector _connector;
    private readonly SemaphoreSlim? _slots;
    private volatile bool _disposed;

    public Http1Client(Http1ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        MetricTag = ProxyMetrics.ClusterTag(options.Cluster);
        _pool = new Http1Pool(options.Time, options.IdleTimeout);
        _connector = new Http1Connector(this, options);
        _slots = options.MaxConnections > 0 ? new SemaphoreSlim(options.MaxConnections, options.MaxConnections) : null;
    }

    public Http1ClientOptions Options { get; }

    internal KeyValuePair<string, object?> MetricTag { get; }

    /// <summary>Idle connections in the pool.</summary>
    internal int IdleCount => _pool.Count;

    /// <summary>Idle connections the peer closed (or sent unasked bytes on), still in the pool until taken or swept.</summary>
    internal int StaleIdleCount() => _pool.CountStale();

    public async Task<UpstreamResponse> SendAsync(UpstreamRequest request, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        token.ThrowIfCancellationRequested();
        var head = Http1RequestHead.Write(request);
        try
        {
            if (_slots is not null)
            {
                await _slots.WaitAsync(token).ConfigureAwait(false);
            }

            var handedOver = false;
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var response = await ExchangeAsync(request, head, token).ConfigureAwait(false);
                handedOver = true;
                return response;
            }
            finally
            {
                if (!handedOver)
                {
                    _slots?.Release();
                }
            }
        }
        finally
        {
            head.Return();
        }
    }

    /// <summary>Closes the idle connections; connections in use close when their exchange ends. Later sends throw.</summary>
    public void Dispose()
    {
        _disposed = true;
        _pool.Dispose();
    }

    /// <summary>Ends an exchange: <paramref name="connection"/> goes back to the pool or is closed, and its slot is freed.</summary>
    internal void Return(Http1Connection connection, bool reuse)
    {
        if (!reuse || _disposed || !_pool.Add(connection))
        {
            connection.Dispose();
        }

        _slots?.Release();
    }

    /// <summary>
    /// A connection for an exchange the caller writes and reads itself (the direct path): from the pool unless
    /// <paramref name="fresh"/>, else a new one. Its slot is held until <see cref="Http1Connection.Release"/> or
    /// <see cref="Http1Connection.Dispose"/>... through <see cref="Return"/>.
    /// </summary>
    internal async ValueTask<Http1Connection> RentAsync(bool fresh, CancellationToken token)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slots is not null)
        {
            await _slots.WaitAsync(token).ConfigureAwait(false);
        }

        try
        {
            var connection = (fresh ? null : _pool.Take()) ?? await _connector.ConnectAsync(token).ConfigureAwait(false);
            connection.BeginExchange();
            return connection;
        }
        catch
        {
            _slots?.Release();
            throw;
        }
    }

    private static bool CanResend(RequestBody? body) => body is null || (body.ClientError is null && (body.CanReplay || !body.Started));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Http1Response> ExchangeAsync(UpstreamRequest request, Http1RequestHead head, CancellationToken token)
    {
        var connection = _pool.Take() ?? await _connector.ConnectAsync(token).ConfigureAwait(false);
        try
        {
            return await connection.SendAsync(request, head, token).ConfigureAwait(false);
        }
        catch (UpstreamException) when (connection.IsReused && !connection.ReceivedAny && !token.IsCancellationRequested)
        {
            await connection.BodyCompletion.ConfigureAwait(false);
            if (!CanResend(request.Body))
            {
                throw;
            }
        }

        var fresh = await _connector.ConnectAsync(token).ConfigureAwait(false);
        return await fresh.SendAsync(request, head, token).ConfigureAwait(false);
    }
}
