using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Direct;

/// <summary>Work queued on a <see cref="NextTurn"/>. It must not throw.</summary>
internal interface ITurnWork
{
    void RunTurn();
}

/// <summary>
/// Runs work once the socket event thread has handled the events in hand, at its next wait for events
/// (docs/direct-http2.md "Late answers"). The first piece of work queued sends a datagram to a socket with a receive
/// pending; the event thread finds it among the events of its next wait and runs everything queued by then, and what that
/// work queues meanwhile. HTTP/2 writers wait here with answers that arrive outside a batch, so the answers the event
/// thread reads in one turn for one client connection leave in one write. Where the sockets cannot be made (no Unix
/// domain sockets, no abstract names) or after <see cref="Dispose"/>, work runs at once.
/// </summary>
internal sealed partial class NextTurn : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<ITurnWork> _queued = new();
    private readonly byte[] _signal = [1];
    private readonly ILogger _logger;
    private readonly Socket? _receiver;
    private readonly Socket? _sender;
    private bool _signalled;
    private bool _disposed;

    public NextTurn(ILogger logger)
    {
        _logger = logger;
        if (!OperatingSystem.IsLinux())
        {
            _disposed = true;
            return;
        }

        // Abstract names (a leading NUL) leave nothing in the file system; connecting the pair both ways makes the
        // receiver refuse datagrams from any other socket.
        var receiverName = new UnixDomainSocketEndPoint("\0outrigger-turn-" + Guid.NewGuid().ToString("N"));
        var senderName = new UnixDomainSocketEndPoint("\0outrigger-turn-" + Guid.NewGuid().ToString("N"));
        _receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            _receiver.Bind(receiverName);
            _sender.Bind(senderName);
            _receiver.Connect(senderName);
            _sender.Connect(receiverName);
        }
        catch (SocketException e)
        {
            Log.Unavailable(logger, e.Message);
            Dispose();
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = ReceiveAsync();
        }
    }

    /// <summary>Runs <paramref name="work"/> at the event thread's next turn.</summary>
    public void Enqueue(ITurnWork work)
    {
        bool queued;
        var signal = false;
        lock (_lock)
        {
            queued = !_disposed;
            if (queued)
            {
                _queued.Enqueue(work);
                signal = !_signalled;
                _signalled = true;
            }
        }

        if (!queued)
        {
            work.RunTurn();
            return;
        }

        if (!signal)
        {
            return; // a datagram is on its way already, or the turn is running and takes this work too
        }

        try
        {
            _sender!.Send(_signal, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed meanwhile: the receive loop's end runs what is queued.
        }
    }

    /// <summary>Closes the sockets; what is queued runs, and work queued from now on runs at once.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _receiver?.Dispose();
        _sender?.Dispose();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[16];
        while (true)
        {
            try
            {
                await _receiver!.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!_disposed)
                {
                    Log.Unavailable(_logger, e.Message);
                    Dispose();
                }

                RunQueued();
                return;
            }

            RunQueued();
        }
    }

    private void RunQueued()
    {
        while (true)
        {
            ITurnWork? work;
            lock (_lock)
            {
                if (!_queued.TryDequeue(out work))
                {
                    _signalled = false;
                    return;
                }
            }

            work.RunTurn();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(22, LogLevel.Warning, "Late HTTP/2 answers are sent one by one: the event-loop signal is unavailable ({Reason})")]
        public static partial void Unavailable(ILogger logger, string reason);
    }
}
