using Outrigger.Discovery;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// One live upstream endpoint: its address, its pooled client, in-flight count, latency average and health.
/// Health fields are written by the active checker and the outlier detector; the cluster recomputes its
/// available set when they change.
/// </summary>
internal sealed class EndpointState : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    /// <summary>Marks a closed endpoint in <see cref="_outstanding"/>: increments keep it negative, so no request starts.</summary>
    private const int Closed = int.MinValue / 2;

    private int _outstanding;
    private int _removed;
    private int _disposed;
    private long _requests;

    public EndpointState(DiscoveredEndpoint endpoint, bool tls, HttpMessageInvoker invoker, LatencyEwma latency)
    {
        Endpoint = endpoint;
        _invoker = invoker;
        Latency = latency;
        Authority = endpoint.Authority;
        BaseUrl = (tls ? "https://" : "http://") + Authority;
        AffinityId = Convert.ToHexStringLower(BitConverter.GetBytes(StableHash.Of(Authority)));
    }

    public DiscoveredEndpoint Endpoint { get; private set; }

    /// <summary><c>host:port</c>.</summary>
    public string Authority { get; }

    /// <summary><c>http://host:port</c> (or https), to which the request's path and query are appended.</summary>
    public string BaseUrl { get; }

    /// <summary>Stable opaque id of this endpoint for affinity cookies.</summary>
    public string AffinityId { get; }

    public HttpMessageInvoker Invoker => _invoker;

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
            _invoker.Dispose();
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
