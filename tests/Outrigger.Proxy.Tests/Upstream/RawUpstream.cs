using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>
/// A raw TCP upstream on a free loopback port whose every connection runs a script, for responses no HTTP server would
/// send. Counts accepted connections.
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RawConnection, int, Task> _script;
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _accepted;

    /// <param name="script">Runs per accepted connection with its 0-based index; the connection closes when it returns.</param>
    public RawUpstream(Func<RawConnection, int, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Scripts that failed (an assertion in a script shows up here).</summary>
    public List<Exception> Errors { get; } = [];

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        Task[] running;
        lock (_connections)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var socket = await _listener.AcceptSocketAsync();
            var index = Interlocked.Increment(ref _accepted) - 1;
            lock (_connections)
            {
                _connections.Add(RunAsync(socket, index));
            }
        }
    }

    private async Task RunAsync(Socket socket, int index)
    {
        using var connection = new RawConnection(socket);
        try
        {
            await _script(connection, index);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lock (Errors)
            {
                Errors.Add(ex);
            }
        }
    }
}

/// <summary>One accepted connection of a <see cref="RawUpstream"/>.</summary>
internal sealed class RawConnection(Socket socket) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _pending = new();

    public Socket Socket => socket;

    /// <summary>Reads a request head (through its empty line); null when the client closed first.</summary>
    public async Task<string?> ReadHeadAsync()
    {
        while (true)
        {
            var text = Encoding.Latin1.GetString(_pending.GetBuffer(), 0, (int)_pending.Length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                Take(end + 4);
                return text[..(end + 4)];
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> body bytes.</summary>
    public async Task<string> ReadBytesAsync(int count)
    {
        while (_pending.Length < count)
        {
            if (!await FillAsync())
            {
                throw new IOException($"client closed after {_pending.Length} of {count} bytes");
            }
        }

        var text = Encoding.Latin1.GetString(_pending.GetBuffer(), 0, count);
        Take(count);
        return text;
    }

    /// <summary>Reads until the client closes; returns what arrived.</summary>
    public async Task<string> ReadToEndAsync()
    {
        while (await FillAsync())
        {
        }

        var text = Encoding.Latin1.GetString(_pending.GetBuffer(), 0, (int)_pending.Length);
        Take((int)_pending.Length);
        return text;
    }

    public async Task WriteAsync(string text) => await socket.SendAsync(Encoding.Latin1.GetBytes(text));

    public void Dispose() => socket.Dispose();

    private async Task<bool> FillAsync()
    {
        int read;
        try
        {
            read = await socket.ReceiveAsync(_buffer);
        }
        catch (SocketException)
        {
            return false;
        }

        _pending.Write(_buffer, 0, read);
        return read > 0;
    }

    private void Take(int count)
    {
        var rest = _pending.GetBuffer().AsSpan(count, (int)_pending.Length - count).ToArray();
        _pending.SetLength(0);
        _pending.Write(rest);
    }
}
