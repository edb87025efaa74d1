using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Outrigger.Core.Hosting;

/// <summary>
/// Hands connections that another front end accepted (and may have read from) to Kestrel, which serves them from then
/// on as if it had accepted them: the bytes already read come first, then whatever arrives on the socket. An
/// <see cref="HttpServer"/> listens on it through <see cref="ListenEndpoint.ForHandoff"/>. docs/direct-path.md.
/// </summary>
public sealed class ConnectionHandoff
{
    private readonly Channel<ConnectionContext> _pending = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private SocketConnectionContextFactory? _factory;

    /// <param name="boundEndPoint">The endpoint the caller's own listen socket is bound to (what the server reports).</param>
    public ConnectionHandoff(IPEndPoint boundEndPoint) => EndPoint = boundEndPoint;

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Passes <paramref name="socket"/> to Kestrel with the bytes already read from it (copied: the caller may reuse its
    /// buffer). False, with the socket closed, when the server is not listening (not started, or stopped).
    /// </summary>
    /// <param name="socket">The accepted connection.</param>
    /// <param name="received">Bytes read from it that Kestrel is to read first.</param>
    /// <param name="closed">Called once when the connection has ended: when Kestrel is done with it, or at once when it could not be handed off.</param>
    public bool HandOff(Socket socket, ReadOnlyMemory<byte> received, Action? closed = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var ended = closed is null ? null : new EndedOnce(closed);
        var factory = Volatile.Read(ref _factory);
        if (factory is null)
        {
            socket.Dispose();
            ended?.Invoke();
            return false;
        }

        ConnectionContext connection;
        try
        {
            connection = factory.Create(socket);
        }
        catch (ObjectDisposedException)
        {
            socket.Dispose();
            ended?.Invoke();
            return false;
        }

        if (ended is not null)
        {
            connection.ConnectionClosed.Register(static state => ((EndedOnce)state!).Invoke(), ended);
            connection.Items[typeof(EndedOnce)] = ended;
        }

        if (!received.IsEmpty)
        {
            connection.Transport = new PrefixedDuplexPipe(new PrefixedPipeReader(received, connection.Transport.Input), connection.Transport.Output);
        }

        if (!_pending.Writer.TryWrite(connection))
        {
            Discard(connection);
            return false;
        }

        return true;
    }

    internal IConnectionListener Bind(EndPoint endpoint, ILoggerFactory loggerFactory)
    {
        var factory = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), loggerFactory.CreateLogger("Outrigger.Hosting.Handoff"));
        if (Interlocked.CompareExchange(ref _factory, factory, null) is not null)
        {
            factory.Dispose();
            throw new InvalidOperationException("a connection handoff serves one listener");
        }

        return new Listener(this, endpoint);
    }

    private void Unbind()
    {
        _pending.Writer.TryComplete();
        Interlocked.Exchange(ref _factory, null)?.Dispose();
        while (_pending.Reader.TryRead(out var connection))
        {
            Discard(connection);
        }
    }

    /// <summary>Closes a connection Kestrel never took (its closed token may then never fire).</summary>
    private static void Discard(ConnectionContext connection)
    {
        var ended = connection.Items.TryGetValue(typeof(EndedOnce), out var item) ? item as EndedOnce : null;
        connection.Abort();
        _ = connection.DisposeAsync().AsTask();
        ended?.Invoke();
    }

    private sealed class Listener(ConnectionHandoff owner, EndPoint endpoint) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await owner._pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            owner.Unbind();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => UnbindAsync();
    }

    /// <summary>The caller's "connection ended" callback, run at most once whichever way the connection ends.</summary>
    private sealed class EndedOnce(Action closed)
    {
        private int _done;

        public void Invoke()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                closed();
            }
        }
    }

    private sealed class PrefixedDuplexPipe(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output) : System.IO.Pipelines.IDuplexPipe
    {
        public System.IO.Pipelines.PipeReader Input { get; } = input;

        public System.IO.Pipelines.PipeWriter Output { get; } = output;
    }
}

/// <summary>The endpoint Kestrel "listens" on for a <see cref="ConnectionHandoff"/>.</summary>
internal sealed class HandoffEndPoint(ConnectionHandoff handoff) : EndPoint
{
    public ConnectionHandoff Handoff { get; } = handoff;

    public override string ToString() => Handoff.EndPoint.ToString();
}

/// <summary>Kestrel's transport: handoff endpoints are served from their <see cref="ConnectionHandoff"/>, the rest by sockets.</summary>
internal sealed class HandoffTransportFactory(IConnectionListenerFactory sockets, ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) => endpoint is HandoffEndPoint handoff
        ? ValueTask.FromResult(handoff.Handoff.Bind(endpoint, loggerFactory))
        : sockets.BindAsync(endpoint, cancellationToken);

    public bool CanBind(EndPoint endpoint) => endpoint is HandoffEndPoint || endpoint is IPEndPoint || endpoint is UnixDomainSocketEndPoint;
}
