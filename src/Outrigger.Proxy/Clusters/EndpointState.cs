using Outrigger.Discovery;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// One live upstream endpoint: its address, its pooled clients, in-flight count, latency average and health.
/// Health fields are written by the active checker and the outlier detector; the cluster recomputes its
/// available set when they change.
/// </summary>
internal sealed class EndpointState : IDisposable
{
    private readonly IUpstreamClient _client;
    private readonly IUpstreamClient _upgrades;
    /// <summary>Marks a closed endpoint in <see cref="_outstanding"/>: increments keep it negative, so no request starts.</summary>
    private const int Closed = int.MinValue / 2;

    private int _outstanding;
    private int _removed;
    private int _disposed;
    private long _requests;

    /// <param name="client">The client for the cluster's protocol.</param>
    /// <param name="upgrades">The HTTP/1.1 client for upgrades (WebSocket), when <paramref name="client"/> is not one.</param>
    public EndpointState(DiscoveredEndpoint endpoint, IUpstreamClient client, IUpstreamClient? upgrades, LatencyEwma latency)
    {
        Endpoint = endpoint;
        _client = client;
        _upgrades = upgrades ?? client;
        Latency = latency;
        Authority = endpoint.Authority;
        AuthorityAscii = System.Text.Encoding.ASCII.GetBytes(Authority);
        AffinityId = Convert.ToHexStringLower(BitConverter.GetBytes(StableHash.Of(Authority)));
    }

    public DiscoveredEndpoint Endpoint { get; private set; }

    /// <summary><c>host:port</c>.</summary>
    public string Authority { get; }

    /// <summary><see cref="Authority"/> as the bytes of a Host field.</summary>
    public byte[] AuthorityAscii { get; }

    /// <summary>Stable opaque id of this endpoint for affinity cookies.</summary>
    public string AffinityId { get; }

    /// <summary>The client for the cluster's protocol; or, for an upgrade request, the HTTP/1.1 one.</summary>
    public IUpstreamClient ClientFor(bool upgrade) => upgrade ? _upgrades : _client;

    public LatencyEwma Latency { get; }

    public int Weight => Endpoint.Weight;

    /// <summary>Requests forwarded to this endpoint and not finished yet.</summary>
    public int Outstanding => Math.Max(0, Volatile.Read(ref _outstanding));

    public long TotalRequests => Interlocked.Read(ref _requests);

    /// <summary>Healthy as far as active checks know (true until a check says otherwise).</summary>
    public bool ActiveHealthy { get; set; } = true;

    /// <summary>Ejected by outlier detection until this timestamp (<see cref="TimeProvider.GetTimestamp"/>); 0 when not ejected.</summary>
    public long EjectedUntil { get; set; }

    public bool IsAvailable => ActiveHealthy && EjectedUntil == 0;

    /// <summary>Smooth weighted round robin's running weight; only touched under that balancer's lock.</summary>
    public long CurrentWeight { get; set; }

    /// <summary>Outlier detection counters; only touched under the detector's lock.</summary>
    public OutlierCounters Outliers { get; } = new();

    /// <summary>Active health check counters; only touched by the checker's loop for this endpoint.</summary>
    public ProbeCounters Probes { get; } = new();

    public void UpdateMetadata(DiscoveredEndpoint endpoint) => Endpoint = endpoint;

    /// <summary>
    /// Counts a request about to be sent. False when the endpoint left its cluster and its pool was closed after it was
    /// picked (a configuration reload or discovery removed it): the caller picks again.
    /// </summary>
    public bool TryBeginRequest()
    {
        if (Interlocked.Increment(ref _outstanding) <= 0)
        {
            return false;
        }

        Interlocked.Increment(ref _requests);
        return true;
    }

    public void EndRequest()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0 && Volatile.Read(ref _removed) == 1)
        {
            Close();
        }
    }

    /// <summary>The endpoint left the cluster: its pool is closed once its last request finishes.</summary>
    public void Remove()
    {
        Volatile.Write(ref _removed, 1);
        Close();
    }

    public void Dispose()
    {
        Volatile.Write(ref _outstanding, Closed);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _client.Dispose();
            if (_upgrades != _client)
            {
                _upgrades.Dispose();
            }
        }
    }

    /// <summary>Closes the pool if no request is in flight, atomically with respect to <see cref="TryBeginRequest"/>.</summary>
    private void Close()
    {
        if (Interlocked.CompareExchange(ref _outstanding, Closed, 0) == 0)
        {
            Dispose();
        }
    }

    internal sealed class OutlierCounters
    {
        public int Consecutive5xx { get; set; }

        public int ConsecutiveGatewayFailures { get; set; }

        public int Ejections { get; set; }

        public long LastEjectionEnded { get; set; }
    }

    internal sealed class ProbeCounters
    {
        public int Successes { get; set; }

        public int Failures { get; set; }

        public string? LastFailure { get; set; }
    }
}
