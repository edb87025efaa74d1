using System.Buffers;

namespace Outrigger.Proxy.Forwarding;

/// <summary>Copies bytes both ways between an upgraded client connection and the upstream's until either side ends.</summary>
internal static class UpgradeTunnel
{
    /// <summary>Runs the tunnel; returns true when it ended cleanly (one side closed), false on an error.</summary>
    public static async Task<bool> RunAsync(Stream client, Stream upstream, CancellationToken aborted)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var toUpstream = PumpAsync(client, upstream, cts.Token);
        var toClient = PumpAsync(upstream, client, cts.Token);
        var first = await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        var clean = await first.ConfigureAwait(false);
        await Task.WhenAll(toUpstream, toClient).ConfigureAwait(false);
        return clean;
    }

    private static async Task<bool> PumpAsync(Stream source, Stream destination, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, token).ConfigureAwait(false);
                if (read == 0)
                {
                    return true;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                await destination.FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
