using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Outrigger.Discovery.Dns;

/// <summary>
/// Endpoints from the A/AAAA records of a DNS name (a Kubernetes headless service, say), re-resolved when the records'
/// TTL expires — but never sooner than <c>minRefresh</c> nor later than <c>maxRefresh</c>. When resolution fails the
/// last good set is kept and the name is retried after <c>minRefresh</c>.
/// </summary>
public sealed partial class DnsDiscovery(
    string name,
    int port,
    int weight,
    IDnsResolver resolver,
    TimeSpan minRefresh,
    TimeSpan maxRefresh,
    TimeProvider time,
    ILogger logger) : IServiceDiscovery
{
    public string Description => $"dns:{name}:{port}";

    public async IAsyncEnumerable<IReadOnlyList<DiscoveredEndpoint>> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IReadOnlyList<DiscoveredEndpoint>? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (endpoints, ttl) = await ResolveAsync(cancellationToken).ConfigureAwait(false);
            var delay = minRefresh;
            if (endpoints is not null)
            {
                if (last is null || !SameSet(last, endpoints))
                {
                    last = endpoints;
                    Log.Resolved(logger, name, endpoints.Count, ttl?.TotalSeconds ?? -1);
                    yield return endpoints;
                }

                delay = ttl is { } t ? TimeSpan.FromTicks(Math.Clamp(t.Ticks, minRefresh.Ticks, maxRefresh.Ticks)) : maxRefresh;
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private async Task<(IReadOnlyList<DiscoveredEndpoint>? Endpoints, TimeSpan? Ttl)> ResolveAsync(CancellationToken cancellationToken)
    {
        try
        {
            var answer = await resolver.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
            var endpoints = new List<DiscoveredEndpoint>(answer.Addresses.Count);
            foreach (var address in answer.Addresses.Distinct())
            {
                endpoints.Add(new DiscoveredEndpoint(address.ToString(), port, weight));
            }

            return (endpoints, answer.Ttl);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or DnsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.Failed(logger, name, e.Message);
            return (null, null);
        }
    }

    private static bool SameSet(IReadOnlyList<DiscoveredEndpoint> a, IReadOnlyList<DiscoveredEndpoint> b) =>
        a.Count == b.Count && a.Select(e => e.Authority).Order(StringComparer.Ordinal).SequenceEqual(b.Select(e => e.Authority).Order(StringComparer.Ordinal), StringComparer.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "DNS {Name} resolved to {Count} addresses (TTL {Ttl} s)")]
        public static partial void Resolved(ILogger logger, string name, int count, double ttl);

        [LoggerMessage(2, LogLevel.Warning, "DNS {Name} could not be resolved; keeping the last known endpoints: {Reason}")]
        public static partial void Failed(ILogger logger, string name, string reason);
    }
}

/// <summary>A DNS query failed (server error, malformed answer, name does not exist).</summary>
public sealed class DnsException(string message) : Exception(message);
