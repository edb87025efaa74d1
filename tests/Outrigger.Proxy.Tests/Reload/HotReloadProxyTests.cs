using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Reload;

/// <summary>Hot reload of the configuration file of a proxy under real load.</summary>
public sealed class HotReloadProxyTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("outrigger-reload-").FullName;

    private string ConfigFile => Path.Combine(_dir, "outrigger.yaml");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task UnderLoad_EndpointsChangedRouteAddedThenInvalidFile_NoRequestFailsNoConnectionDropped()
    {
        await using var a = await TestUpstream.StartAsync("a");
        await using var b = await TestUpstream.StartAsync("b");
        var proxy = await StartAsync($$"""
            proxy:
              listen: 127.0.0.1:0
              hot_reload: { interval_ms: 100, drain_ms: 500 }
              clusters:
                hr-main: { endpoints: [{{a.Endpoint()}}] }
              routes:
                - { name: main, cluster: hr-main }
            """);
        await using var _ = proxy;

        using var stop = new CancellationTokenSource();
        var load = new LoadClients(proxy.Port, clients: 4);
        var running = load.RunAsync(stop.Token);
        await load.WaitForAsync(upstream: "a", stop.Token);

        // Endpoints move from a to b, and a route to a new cluster appears.
        WriteConfig($$"""
            proxy:
              listen: 127.0.0.1:0
              hot_reload: { interval_ms: 100, drain_ms: 500 }
              clusters:
                hr-main: { endpoints: [{{b.Endpoint()}}] }
                hr-new: { endpoints: [{{a.Endpoint()}}] }
              routes:
                - { name: new, cluster: hr-new, match: { path_prefix: /new } }
                - { name: main, cluster: hr-main }
            """);
        await WaitForAsync(() => proxy.Module.Runtime!.Generation == 2);
        await load.WaitForAsync(upstream: "b", stop.Token);
        using (var client = proxy.CreateClient())
        {
            using var routed = await client.GetAsync("/new/x");
            Assert.Equal("a", routed.Headers.GetValues("x-upstream").Single());
        }

        // An invalid change: the old configuration keeps serving and the error is reported.
        WriteConfig("""
            proxy:
              listen: 127.0.0.1:0
              clusters:
                hr-main: { endpoints: [{ address: 127.0.0.1, port: 70000 }] }
              routes:
                - { name: main, cluster: hr-missing }
            """);
        await WaitForAsync(() => JsonNode.Parse(proxy.AdminGetAsync("/proxy/config").Result)!["last_error"] is not null);
        var served = load.Served;
        await load.WaitForAsync(upstream: "b", stop.Token, after: served + 50);

        await stop.CancelAsync();
        await running;
        var config = JsonNode.Parse(await proxy.AdminGetAsync("/proxy/config"))!;
        Assert.Equal(2, (long)config["generation"]!);
        Assert.Contains("proxy.routes[0].cluster", (string)config["last_error"]!);
        Assert.Contains("port", (string)config["last_error"]!);
        Assert.Equal(0, load.Failed);
        Assert.True(load.Served > 200, $"only {load.Served} requests served");
        Assert.Equal(4, load.Connections);
    }

    [Fact]
    public async Task InFlightRequest_CompletesOnTheEndpointItStartedOn_AfterItsClusterWasReplaced()
    {
        await using var a = await TestUpstream.StartAsync("a");
        await using var b = await TestUpstream.StartAsync("b");
        var proxy = await StartAsync(Config(a, "round_robin"));
        await using var _ = proxy;
        using var client = proxy.CreateClient();

        var slow = client.GetAsync("/slow/1500");
        await WaitForAsync(() => a.Requests == 1);
        // Another algorithm: the cluster is replaced, not just given new endpoints.
        WriteConfig(Config(b, "least_connections"));
        await WaitForAsync(() => proxy.Module.Runtime!.Generation == 2);
        using (var fresh = await client.GetAsync("/x"))
        {
            Assert.Equal("b", fresh.Headers.GetValues("x-upstream").Single());
        }

        using var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", response.Headers.GetValues("x-upstream").Single());
    }

    [Fact]
    public async Task Reload_InvalidText_RejectedWithTheValidateMessages_ValidTextApplied()
    {
        await using var a = await TestUpstream.StartAsync("a");
        var proxy = await StartAsync(Config(a, "round_robin"));
        await using var _ = proxy;

        var problems = proxy.Module.Reload("proxy:\n  clusters:\n    c: { endpoints: [], load_balancing: { algoritm: maglev } }\n  routes: [{ name: r, cluster: nope }]\n  tracing: { spans: maybe }\n", "test.yaml");

        Assert.Contains(problems, p => p.StartsWith("proxy.clusters.c.load_balancing.algoritm: unknown key (did you mean 'algorithm'?)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("proxy.routes[0].cluster:", StringComparison.Ordinal) && p.Contains("nope", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("proxy.tracing.spans:", StringComparison.Ordinal));
        Assert.Equal(1, proxy.Module.Runtime!.Generation);

        // The host's and other modules' sections are theirs to check; the proxy's own are valid, so it applies.
        Assert.Empty(proxy.Module.Reload("admin: { listen: 127.0.0.1:0 }\ntelemetry: { log_level: debug }\nproxy:\n  listen: 127.0.0.1:0\n  tracing: { spans: false }\n", "test.yaml"));
        Assert.Equal(2, proxy.Module.Runtime!.Generation);
        Assert.False(proxy.Module.Runtime!.Options.Tracing.Spans);
    }

    [Fact]
    public async Task Reload_SameEndpointsNewRateLimit_ClusterKeptLimitApplied()
    {
        await using var a = await TestUpstream.StartAsync("a");
        var proxy = await StartAsync(Config(a, "round_robin"));
        await using var _ = proxy;
        var cluster = proxy.Module.Runtime!.Routes.Routes[0].Cluster;

        Assert.Empty(proxy.Module.Reload(Config(a, "round_robin", "rate_limit: { requests_per_second: 1, burst_size: 1, key_extractor: global }"), ConfigFile));

        Assert.Same(cluster, proxy.Module.Runtime!.Routes.Routes[0].Cluster);
        using var client = proxy.CreateClient();
        using var first = await client.GetAsync("/x");
        using var second = await client.GetAsync("/x");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
    }

    [Fact]
    public async Task Reload_NewCertificateFiles_NewConnectionsGetThem_UnloadableOnesRejected()
    {
        using var ca = new TestCa();
        await using var upstream = await TestUpstream.StartAsync("a");
        var (cert, key) = ca.IssueServer("first");
        string Tls(string c, string k) => $$"""
            proxy:
              listen: 127.0.0.1:0
              tls: { cert_file: "{{c}}", key_file: "{{k}}" }
              clusters:
                hr-tls: { endpoints: [{{upstream.Endpoint()}}] }
              routes: [{ name: r, cluster: hr-tls }]
            """;
        var proxy = await StartAsync(Tls(cert, key));
        await using var _ = proxy;
        Assert.Equal("CN=first", await ServerCertificateAsync(proxy));

        var (nextCert, nextKey) = ca.IssueServer("second");
        Assert.Empty(proxy.Module.Reload(Tls(nextCert, nextKey), ConfigFile));
        Assert.Equal("CN=second", await ServerCertificateAsync(proxy));

        var broken = Path.Combine(_dir, "broken.crt");
        File.WriteAllText(broken, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
        Assert.NotEmpty(proxy.Module.Reload(Tls(broken, nextKey), ConfigFile));
        Assert.Contains(proxy.Module.Reload(Tls(Path.Combine(_dir, "missing.crt"), nextKey), ConfigFile), p => p.StartsWith("proxy.tls.cert_file:", StringComparison.Ordinal));
        Assert.Equal(2, proxy.Module.Runtime!.Generation);
        Assert.Equal("CN=second", await ServerCertificateAsync(proxy));
    }

    private static async Task<string?> ServerCertificateAsync(ProxyHost proxy)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen = certificate?.Subject;
            return true;
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync($"https://127.0.0.1:{proxy.Port}/x");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return seen;
    }

    private static string Config(TestUpstream upstream, string algorithm, string routeExtra = "") => $$"""
        proxy:
          listen: 127.0.0.1:0
          hot_reload: { interval_ms: 100, drain_ms: 200 }
          clusters:
            hr-c: { endpoints: [{{upstream.Endpoint()}}], load_balancing: { algorithm: {{algorithm}} } }
          routes:
            - { name: r, cluster: hr-c, {{routeExtra}} }
        """;

    private async Task<ProxyHost> StartAsync(string yaml)
    {
        WriteConfig(yaml);
        return await ProxyHost.StartAsync(yaml, configFile: ConfigFile);
    }

    /// <summary>Replaces the file at once (as a ConfigMap update does), never leaving it half-written.</summary>
    private void WriteConfig(string yaml)
    {
        var temp = ConfigFile + ".tmp";
        File.WriteAllText(temp, yaml);
        File.Move(temp, ConfigFile, overwrite: true);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 20 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Clients sending requests back to back, each over one keep-alive connection whose opening is counted.</summary>
    private sealed class LoadClients(int port, int clients)
    {
        private int _served;
        private int _failed;
        private int _connections;
        private volatile string _lastUpstream = "";

        public int Served => Volatile.Read(ref _served);

        public int Failed => Volatile.Read(ref _failed);

        public int Connections => Volatile.Read(ref _connections);

        public Task RunAsync(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => ClientAsync(stop))));

        /// <summary>Waits until a request answered by <paramref name="upstream"/> is seen (after <paramref name="after"/> requests).</summary>
        public async Task WaitForAsync(string upstream, CancellationToken stop, int after = 0)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (_lastUpstream != upstream || Served < after)
            {
                Assert.True(DateTime.UtcNow < deadline, $"no answer from {upstream} in 20 s (last: {_lastUpstream}, failed: {Failed})");
                await Task.Delay(20, stop);
            }
        }

        private async Task ClientAsync(CancellationToken stop)
        {
            using var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                MaxConnectionsPerServer = 1,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                ConnectCallback = async (context, token) =>
                {
                    Interlocked.Increment(ref _connections);
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync("/x", stop);
                    await response.Content.ReadAsByteArrayAsync(stop);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        _lastUpstream = response.Headers.GetValues("x-upstream").Single();
                        Interlocked.Increment(ref _served);
                    }
                    else
                    {
                        Interlocked.Increment(ref _failed);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failed);
                }
            }
        }
    }
}
