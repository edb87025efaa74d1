using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// The direct path's listen socket (docs/direct-path.md): accepts client connections and runs a
/// <see cref="DirectConnection"/> for each, which serves plain HTTP/1.1 requests itself and hands the rest to Kestrel
/// through <see cref="ConnectionHandoff"/>. A sweep once a second closes connections idle, slow or abandoned too long.
/// </summary>
internal sealed partial class DirectListener : IAsyncDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<DirectConnection, byte> _connections = new();
    private readonly Socket _socket;
    private readonly DirectTimeouts _timeouts;
    private readonly long _maxConnections;
    private readonly Action _handedOffEnded;
    private readonly ILogger _logger;
    private ConnectionHandoff? _handoff;
    private ITimer? _sweep;
    private Task? _accepting;
    private volatile bool _stopping;

    /// <summary>Client connections open now, from accept until closed, served here or by Kestrel: what max_connections bounds.</summary>
    private long _open;
    private long _http2Connections;

    public DirectListener(IPEndPoint endpoint, ProxyRequestHandler handler, ProxyOptions options, TimeProvider time, ILogger logger)
    {
        Handler = handler;
        Time = time;
        _logger = logger;
        var limits = options.Limits;
        Limits = DirectLimits.From(limits, options.Forwarding);
        _timeouts = new DirectTimeouts(limits.KeepAliveTimeout, limits.RequestHeadersTimeout, limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
        _maxConnections = limits.MaxConnections;
        _handedOffEnded = ConnectionEnded;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Turn = new NextTurn(logger);
    }

    /// <summary>The bound endpoint (a port of 0 replaced by the one the OS chose).</summary>
    public IPEndPoint EndPoint { get; }

    public ProxyRequestHandler Handler { get; }

    public TimeProvider Time { get; }

    public DirectLimits Limits { get; }

    /// <summary>Where HTTP/2 writers wait for the event thread's next turn to send answers together.</summary>
    public NextTurn Turn { get; }

    public bool Stopping => _stopping;

    /// <summary>How many connections Outrigger's own HTTP/2 engine has served (for tests and diagnostics).</summary>
    public long Http2Connections => Interlocked.Read(ref _http2Connections);

    /// <summary>Starts accepting; requests the direct path does not serve go to <paramref name="handoff"/>.</summary>
    public void Start(ConnectionHandoff handoff)
    {
        _handoff = handoff;
        using (ExecutionContext.SuppressFlow())
        {
            _sweep = Time.CreateTimer(static state => ((DirectListener)state!).Sweep(), this, SweepInterval, SweepInterval);
            _accepting = Task.Run(AcceptLoopAsync);
        }
    }

    /// <summary>Hands a connection to Kestrel with the bytes read from it and not yet served.</summary>
    public void HandOff(Socket socket, ReadOnlyMemory<byte> received) => _handoff!.HandOff(socket, received, _handedOffEnded);

    /// <summary>The connection's loop ended: it was closed, or handed to Kestrel (which then counts it until it closes).</summary>
    public void Remove(DirectConnection connection, bool handedOff)
    {
        _connections.TryRemove(connection, out _);
        if (!handedOff)
        {
            ConnectionEnded();
        }
    }

    /// <summary>Stops accepting, closes idle connections, lets the others finish their exchange; when <paramref name="token"/> fires, closes them all.</summary>
    public async Task StopAsync(CancellationToken token)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _socket.Dispose();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }

        while (!_connections.IsEmpty && !token.IsCancellationRequested)
        {
            foreach (var connection in _connections.Keys)
            {
                if (connection.IsIdle)
                {
                    connection.Close();
                }
            }

            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _sweep?.Dispose();
        Turn.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopping)
                {
                    return;
                }

                Log.AcceptFailed(_logger, e.Message);
                continue;
            }

            if (Interlocked.Increment(ref _open) > _maxConnections && _maxConnections > 0)
            {
                ConnectionEnded();
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            var connection = new DirectConnection(this, client);
            _connections.TryAdd(connection, 0);
            _ = connection.RunAsync();
        }
    }

    private void ConnectionEnded() => Interlocked.Decrement(ref _open);

    /// <summary>Counts a connection the HTTP/2 engine takes.</summary>
    public void Http2Started() => Interlocked.Increment(ref _http2Connections);

    private void Sweep()
    {
        var now = Time.GetTimestamp();
        foreach (var connection in _connections.Keys)
        {
            connection.CheckTimeouts(now, _timeouts);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Warning, "Accepting a connection failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);
    }
}
