using Outrigger.Discovery;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Clusters and endpoints for unit tests (no sockets: the pooled client is never used).</summary>
internal static class Endpoints
{
    public static EndpointState Create(string authority, int weight = 1, TimeProvider? time = null)
    {
        var colon = authority.LastIndexOf(':');
        var endpoint = new DiscoveredEndpoint(authority[..colon], int.Parse(authority[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), weight);
        return new EndpointState(endpoint, NoClient.Instance, null, new LatencyEwma(time ?? TimeProvider.System, TimeSpan.FromSeconds(10)));
    }

    public static EndpointState[] Many(int count, int weight = 1) =>
        [.. Enumerable.Range(1, count).Select(i => Create($"10.0.0.{i}:8080", weight))];

    public static ClusterState Cluster(string yamlCluster, TimeProvider time, params DiscoveredEndpoint[] endpoints)
    {
        var options = TestConfig.Read($$"""
            proxy:
              clusters:
                c:
                  endpoints: [{ address: 10.9.9.9, port: 1 }]
            {{string.Join('\n', yamlCluster.Split('\n').Select(l => "      " + l))}}
            """);
        var cluster = new ClusterState(options.Clusters[0], time);
        cluster.UpdateEndpoints(endpoints);
        return cluster;
    }

    /// <summary>The client of endpoints that balancer and health unit tests never send through.</summary>
    private sealed class NoClient : IUpstreamClient
    {
        public static readonly NoClient Instance = new();

        public Task<UpstreamResponse> SendAsync(UpstreamRequest request, CancellationToken token) =>
            throw new InvalidOperationException("this test endpoint has no client");

        public void Dispose()
        {
        }
    }
}
