using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Speaks raw bytes to a port, for requests no well-behaved client would send.</summary>
internal sealed class RawHttp : IDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);

    private RawHttp()
    {
    }

    public static async Task<RawHttp> ConnectAsync(int port)
    {
        var raw = new RawHttp();
        await raw._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return raw;
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads until the peer closes or <paramref name="timeout"/> passes; returns what arrived and whether the peer closed.</summary>
    public Task<(string Text, bool Closed)> ReceiveAsync(TimeSpan timeout) => ReceiveAsync(timeout, until: null);

    /// <summary>Reads until what arrived contains <paramref name="marker"/>, the peer closes, or 10 s pass; returns what arrived.</summary>
    public async Task<string> ReceiveUntilAsync(string marker) => (await ReceiveAsync(TimeSpan.FromSeconds(10), marker)).Text;

    private async Task<(string Text, bool Closed)> ReceiveAsync(TimeSpan timeout, string? until)
    {
        var received = new StringBuilder();
        var buffer = new byte[16 * 1024];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, cts.Token);
                if (read == 0)
                {
                    return (received.ToString(), true);
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (until is not null && received.ToString().Contains(until, StringComparison.Ordinal))
                {
                    return (received.ToString(), false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (received.ToString(), false);
        }
        catch (SocketException)
        {
            return (received.ToString(), true);
        }
    }

    public void Dispose() => _socket.Dispose();
}
