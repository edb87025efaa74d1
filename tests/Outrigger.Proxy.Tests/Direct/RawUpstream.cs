using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outrigger.Proxy.Tests.Direct;

/// <summary>
/// A TCP upstream that reads one request head per exchange and answers with the bytes a script gives, then closes the
/// connection or keeps it; for responses Kestrel would never send (no length, closes after reuse).
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly Func<int, (string Response, bool Close)> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;
    private int _connections;

    public RawUpstream(Func<int, (string Response, bool Close)> script)
    {
        _script = script;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public int Requests => Volatile.Read(ref _requests);

    public int Connections => Volatile.Read(ref _connections);

    public string Endpoint() => $"{{ address: \"127.0.0.1\", port: {Port} }}";

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[16 * 1024];
            var have = 0;
            try
            {
                while (true)
                {
                    int end;
                    while ((end = Encoding.ASCII.GetString(buffer, 0, have).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                    {
                        var read = await socket.ReceiveAsync(buffer.AsMemory(have), _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        have += read;
                    }

                    Buffer.BlockCopy(buffer, end + 4, buffer, 0, have - end - 4);
                    have -= end + 4;
                    var (response, close) = _script(Interlocked.Increment(ref _requests));
                    await socket.SendAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                    if (close)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }
}
