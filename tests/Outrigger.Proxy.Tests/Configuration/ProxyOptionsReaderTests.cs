using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Configuration;

public sealed class ProxyOptionsReaderTests
{
    /// <summary>Spec 002's example configuration, without its <c>ai</c> section (the autopilot module's).</summary>
    private const string SpecExample = """
        server:
          bind_address: "0.0.0.0"
          port: 8000
          max_connections: 10000

        upstream:
          services:
            example-service:
              endpoints:
                - address: "127.0.0.1"
                  port: 8080
                  weight: 100
              health_check:
                enabled: true
                path: "/health"
                interval_ms: 30000

        load_balancing:
          algorithm: "round_robin"

        circuit_breaker:
          enabled: true
          failure_threshold: 5
          recovery_timeout_ms: 60000
        """;

    [Fact]
    public void Read_SpecExample_AcceptedAsWritten()
    {
        var options = TestConfig.Read(SpecExample, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal("0.0.0.0:8000", options.Listener.Address);
        Assert.Equal(10000, options.Limits.MaxConnections);
        var cluster = Assert.Single(options.Clusters);
        Assert.Equal("example-service", cluster.Name);
        Assert.True(cluster.ImplicitRoute);
        var endpoint = Assert.Single(cluster.Endpoints);
        Assert.Equal(("127.0.0.1", 8080, 100), (endpoint.Host, endpoint.Port, endpoint.Weight));
        Assert.True(cluster.HealthCheck.Enabled);
        Assert.Equal("/health", cluster.HealthCheck.Path);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.HealthCheck.Interval);
        Assert.Equal(LoadBalancingAlgorithm.RoundRobin, cluster.LoadBalancing.Algorithm);
        Assert.True(options.CircuitBreaker.Enabled);
        Assert.Equal(5, options.CircuitBreaker.FailureThreshold);
    }

    [Fact]
    public void Read_Empty_ListensOnPort8000WithNoRoutes()
    {
        var options = TestConfig.Read("");

        Assert.Equal("0.0.0.0:8000", options.Listener.Address);
        Assert.Empty(options.Clusters);
        Assert.Empty(options.Routes);
    }

    [Fact]
    public void Read_TopLevelAlgorithm_IsEveryClusterDefaultUnlessOverridden()
    {
        var options = TestConfig.Read("""
            load_balancing: { algorithm: least_connections }
            upstream:
              services:
                a: { endpoints: [{ address: 10.0.0.1, port: 80 }] }
                b: { endpoints: [{ address: 10.0.0.2, port: 80 }], load_balancing: { algorithm: maglev, hash_on: header, hash_key: x-user } }
            """);

        Assert.Equal(LoadBalancingAlgorithm.LeastConnections, options.Clusters[0].LoadBalancing.Algorithm);
        Assert.Equal(LoadBalancingAlgorithm.Maglev, options.Clusters[1].LoadBalancing.Algorithm);
        Assert.Equal(HashKeySource.Header, options.Clusters[1].LoadBalancing.HashOn);
        Assert.Equal("x-user", options.Clusters[1].LoadBalancing.HashKey);
    }

    [Fact]
    public void Read_ManyMistakes_ReportsEveryOneWithItsKeyPath()
    {
        TestConfig.Read("""
            server: { port: 99999 }
            load_balancing: { algorithm: fastest }
            proxy:
              clusters:
                api:
                  endpoints: [{ address: "not a host", port: 0 }]
                  health_check: { path: health, expected_status: "600-100" }
              routes:
                - cluster: nowhere
                  match: { path_prefix: api, path: /x }
                - cluster: api
                  match: { path_template: "/a/{**rest}/b" }
                  transforms: { rewrite: "/{rest}" }
            """, out var errors);

        var paths = errors.Select(e => e.Path).ToList();
        Assert.Contains("server.port", paths);
        Assert.Contains("load_balancing.algorithm", paths);
        Assert.Contains("proxy.clusters.api.endpoints[0].address", paths);
        Assert.Contains("proxy.clusters.api.endpoints[0].port", paths);
        Assert.Contains("proxy.clusters.api.health_check.path", paths);
        Assert.Contains("proxy.clusters.api.health_check.expected_status", paths);
        Assert.Contains("proxy.routes[0].cluster", paths);
        Assert.Contains("proxy.routes[0].match", paths);
        Assert.Contains("proxy.routes[1].match.path_template", paths);
        Assert.Contains(errors, e => e.Path == "proxy.routes[0].cluster" && e.Message.Contains("'nowhere' is not defined (defined: api)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("server: { port: 9000 }", "0.0.0.0:9000")]
    [InlineData("server: { bind_address: \"::1\", port: 9000 }", "[::1]:9000")]
    [InlineData("proxy: { listen: \"127.0.0.1:7000\" }", "127.0.0.1:7000")]
    [InlineData("server: { max_connections: 5 }", "0.0.0.0:8000")]
    public void Read_ListenAddress_SpecServerKeysOverrideProxyListen(string yaml, string expected)
    {
        Assert.Equal(expected, TestConfig.Read(yaml).Listener.Address);
    }

    [Fact]
    public void Read_ServerBindAddressNotAnIp_Error()
    {
        TestConfig.Read("server: { bind_address: example.com }", out var errors);

        Assert.Equal("server.bind_address", Assert.Single(errors).Path);
    }

    [Fact]
    public void Read_UnknownKey_ReportedWithSuggestion()
    {
        TestConfig.Read("""
            upstream:
              services:
                api: { endpoints: [{ address: 10.0.0.1, port: 80, wieght: 3 }] }
            """, out var errors);

        var error = Assert.Single(errors);
        Assert.Equal("upstream.services.api.endpoints[0].wieght", error.Path);
        Assert.Contains("weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ObservabilityAndReloadSections_DefaultsAndPresentSectionEnablesTheAccessLog()
    {
        var defaults = TestConfig.Read("proxy: {}\n");
        Assert.False(defaults.AccessLog.Enabled);
        Assert.True(defaults.Tracing.Spans);
        Assert.True(defaults.Tracing.StartTraces);
        Assert.True(defaults.HotReload.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(2), defaults.HotReload.Interval);

        var set = TestConfig.Read("proxy:\n  access_log: { path: /tmp/a.log, sample_rate: 0.1 }\n  hot_reload: { enabled: false, drain_ms: 0 }\n");
        Assert.True(set.AccessLog.Enabled);
        Assert.Equal("/tmp/a.log", set.AccessLog.Path);
        Assert.Equal(0.1, set.AccessLog.SampleRate);
        Assert.False(set.HotReload.Enabled);
        Assert.Equal(TimeSpan.Zero, set.HotReload.DrainDelay);
    }
}
