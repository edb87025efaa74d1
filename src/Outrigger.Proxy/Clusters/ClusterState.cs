using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Discovery;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Health;
using Outrigger.Proxy.LoadBalancing;
using Outrigger.Proxy.Resilience;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// A cluster at run time: its endpoints (replaced as discovery reports changes, keeping the state of those that stay),
/// the subset available for traffic (healthy and not ejected) and its load balancer.
/// </summary>
internal sealed class ClusterState : IDisposable
{
    /// <summary>How often a request picks again when the endpoint it picked was closed meanwhile (it left the cluster).</summary>
    public const int MaxPicks = 4;

    private readonly Lock _lock = new();
    private readonly Func<DiscoveredEndpoint, EndpointState> _createEndpoint;
    private EndpointState[] _all = [];
    private volatile EndpointState[] _available = [];

    public ClusterState(ClusterOptions options, TimeProvider time, ILogger? logger = null, Func<DiscoveredEndpoint, EndpointState>? createEndpoint = null)
    {
        Options = options;
        Time = time;
        Balancer = LoadBalancers.Create(options.LoadBalancing);
        Outliers = new OutlierDetector(this, options.OutlierDetection, time, logger ?? NullLogger.Instance);
        Breaker = options.Breaker.Enabled ? BreakerEvents.Create(options.Name, options.Breaker, time, logger ?? NullLogger.Instance) : null;
        _createEndpoint = createEndpoint ?? (e => EndpointClientFactory.CreateEndpoint(options, e, time));
    }

    public ClusterOptions Options { get; private set; }

    public string Name => Options.Name;

    public TimeProvider Time { get; }

    public ILoadBalancer Balancer { get; }

    public OutlierDetector Outliers { get; }

    /// <summary>The cluster's circuit breaker; null when disabled.</summary>
    public CircuitBreaker? Breaker { get; }

    /// <summary>Limits retries in flight to this cluster.</summary>
    public RetryBudget RetryBudget { get; } = new();

    /// <summary>Every endpoint, available or not.</summary>
    public EndpointState[] All => Volatile.Read(ref _all);

    /// <summary>Endpoints that may get traffic: healthy by active checks and not ejected.</summary>
    public EndpointState[] Available => _available;

    /// <summary>Raised (outside the lock) after the endpoint set changed, with the endpoints that were added.</summary>
    public event Action<IReadOnlyList<EndpointState>>? EndpointsAdded;

    /// <summary>Replaces the endpoint set; endpoints whose address stays keep their pool, counters and health.</summary>
    public void UpdateEndpoints(IReadOnlyList<DiscoveredEndpoint> endpoints)
    {
        var added = new List<EndpointState>();
        lock (_lock)
        {
            var old = _all.ToDictionary(e => e.Authority, StringComparer.OrdinalIgnoreCase);
            var next = new List<EndpointState>(endpoints.Count);
            foreach (var endpoint in endpoints)
            {
                if (old.Remove(endpoint.Authority, out var existing))
                {
                    existing.UpdateMetadata(endpoint);
                    next.Add(existing);
                }
                else if (!next.Exists(e => string.Equals(e.Authority, endpoint.Authority, StringComparison.OrdinalIgnoreCase)))
                {
                    var created = _createEndpoint(endpoint);
                    added.Add(created);
                    next.Add(created);
                }
            }

            Volatile.Write(ref _all, next.ToArray());
            RefreshAvailabilityLocked();
            foreach (var removed in old.Values)
            {
                removed.Remove();
            }
        }

        if (added.Count > 0)
        {
            EndpointsAdded?.Invoke(added);
        }
    }

    /// <summary>Recomputes <see cref="Available"/> after a health change.</summary>
    public void RefreshAvailability()
    {
        lock (_lock)
        {
            RefreshAvailabilityLocked();
        }
    }

    /// <summary>Picks an endpoint and counts the request on it (see <see cref="EndpointState.TryBeginRequest"/>); null when none is available.</summary>
    public EndpointState? Acquire(HttpContext? context)
    {
        for (var i = 0; i < MaxPicks; i++)
        {
            var endpoint = Pick(context);
            if (endpoint is null || endpoint.TryBeginRequest())
            {
                return endpoint;
            }
        }

        return null;
    }

    /// <summary>Picks an endpoint for the request, honouring session affinity; null when none is available.</summary>
    public EndpointState? Pick(HttpContext? context)
    {
        var available = _available;
        if (available.Length == 0)
        {
            return null;
        }

        var lb = Options.LoadBalancing;
        if (!lb.StickySessions || context is null)
        {
            return Balancer.Pick(available, context);
        }

        if (context.Request.Cookies.TryGetValue(lb.AffinityCookie, out var id))
        {
            foreach (var endpoint in available)
            {
                if (endpoint.AffinityId == id)
                {
                    return endpoint;
                }
            }
        }

        var picked = Balancer.Pick(available, context);
        context.Response.Headers.Append("Set-Cookie", $"{lb.AffinityCookie}={picked.AffinityId}; Path=/; HttpOnly");
        return picked;
    }

    /// <summary>Feeds the outcome of a forwarded request to passive health.</summary>
    public void ReportOutcome(EndpointState endpoint, ForwardResult result) => Outliers.Report(endpoint, result);

    /// <summary>Takes options that differ only by their static endpoints (a reload): the endpoint set is replaced.</summary>
    public void Adopt(ClusterOptions options)
    {
        Options = options;
        UpdateEndpoints(options.Endpoints);
    }

    /// <summary>
    /// The cluster left the configuration and no new request uses it: its endpoints are removed, each closing its
    /// connections when its last request finishes.
    /// </summary>
    public void Retire()
    {
        UpdateEndpoints([]);
        Outliers.Dispose();
    }

    public void Dispose()
    {
        Outliers.Dispose();
        BreakerEvents.Release(Breaker);
        lock (_lock)
        {
            foreach (var endpoint in _all)
            {
                endpoint.Dispose();
            }

            _all = [];
            _available = [];
        }
    }

    private static bool SameEndpoints(EndpointState[] a, EndpointState[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private void RefreshAvailabilityLocked()
    {
        var available = Array.FindAll(_all, e => e.IsAvailable);
        if (!SameEndpoints(available, _available))
        {
            _available = available;
        }
    }
}
