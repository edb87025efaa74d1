using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

/// <summary>Routing transforms, session affinity, TLS both ways, admin endpoints and metrics, end to end.</summary>
public sealed class FeatureTests
{
    [Fact]
    public async Task Route_TransformsPathAndHeaders_UpstreamAndClientSeeThem()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                api: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - cluster: api
                  match: { path_prefix: /api }
                  transforms:
                    strip_prefix: /api
                    add_prefix: /v2
                    request_headers: { set: { x-tenant: blue }, remove: [x-secret] }
                    response_headers: { set: { x-served-by: outrigger }, remove: [x-upstream] }
            """);
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/7?full=1");
        request.Headers.Add("x-secret", "s3cret");
        request.Headers.Add("x-tenant", "red");

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("GET /v2/users/7?full=1 HTTP/1.1\n", body);
        Assert.Contains("x-tenant: blue\n", body);
        Assert.DoesNotContain("x-secret", body);
        Assert.Equal("outrigger", response.Headers.GetValues("x-served-by").Single());
        Assert.False(response.Headers.Contains("x-upstream"));
    }

    [Fact]
    public async Task ChunkedRequestWithTrailers_TrailersReachHttp11Upstream()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api: { endpoints: [{{upstream.Endpoint()}}] }
            """);
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        await connection.SendAsync("POST /request-trailers HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\nConnection: close\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: c0ffee\r\n\r\n");
        var (text, _) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 200", text);
        Assert.Contains("body 11; x-checksum=c0ffee", text);
    }

    [Fact]
    public async Task StickySessions_ClientKeepsItsEndpointThroughCookie()
    {
        await using var a = await TestUpstream.StartAsync("a");
        await using var b = await TestUpstream.StartAsync("b");
        await using var proxy = await ProxyHost.StartAsync($$"""
            load_balancing: { algorithm: round_robin, sticky_sessions: true, session_affinity_key: sid }
            upstream:
              services:
                api: { endpoints: [{{a.Endpoint()}}, {{b.Endpoint()}}] }
            """);
        using var client = proxy.CreateClient();

        using var first = await client.GetAsync("/headers");
        var cookie = first.Headers.GetValues("Set-Cookie").Single();
        var upstream = first.Headers.GetValues("x-upstream").Single();
        var names = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
            request.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var response = await client.SendAsync(request);
            names.Add(response.Headers.GetValues("x-upstream").Single());
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        Assert.StartsWith("sid=", cookie);
        Assert.All(names, n => Assert.Equal(upstream, n));
    }

    [Fact]
    public async Task Tls_ListenerNegotiatesH2WithCurl_UpstreamOverTls()
    {
        using var certificate = new TestCertificate();
        await using var upstream = await TestUpstream.StartAsync("secure", HttpProtocols.Http1AndHttp2, tls: certificate.Certificate);
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              tls: { cert_file: "{{certificate.CertFile}}", key_file: "{{certificate.KeyFile}}" }
              clusters:
                api:
                  endpoints: [{{upstream.Endpoint()}}]
                  protocol: http2
                  tls: { enabled: true, insecure_skip_verify: true }
              routes:
                - { cluster: api }
            """);

        var (exit, output, error) = await Curl.RunAsync("-k", "--http2", "-i", $"https://127.0.0.1:{proxy.Port}/headers");

        Assert.True(exit == 0, error);
        Assert.StartsWith("HTTP/2 200", output);
        Assert.Contains("x-upstream: secure", output);
        Assert.Contains("GET /headers HTTP/2\n", output);
        Assert.Contains("x-forwarded-proto: https\n", output);
    }

    [Fact]
    public async Task Admin_ClustersAndRoutes_DescribeLiveState()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                api:
                  endpoints: [{ address: 127.0.0.1, port: {{upstream.Port}}, weight: 7, metadata: { zone: eu-1 } }]
                  load_balancing: { algorithm: peak_ewma }
              routes:
                - { name: api-route, cluster: api, match: { path_prefix: /api, methods: [GET] } }
            """);
        using var client = proxy.CreateClient();
        (await client.GetAsync("/api/x")).Dispose();

        var clusters = JsonNode.Parse(await proxy.AdminGetAsync("/clusters"))!;
        var routes = JsonNode.Parse(await proxy.AdminGetAsync("/routes"))!;

        var endpoint = clusters["api"]!["endpoints"]![0]!;
        Assert.Equal($"127.0.0.1:{upstream.Port}", (string?)endpoint["address"]);
        Assert.Equal(7, (int)endpoint["weight"]!);
        Assert.Equal("healthy", (string?)endpoint["health"]);
        Assert.Equal(1, (long)endpoint["total_requests"]!);
        Assert.Equal(0, (int)endpoint["outstanding_requests"]!);
        Assert.Equal("eu-1", (string?)endpoint["metadata"]!["zone"]);
        Assert.Equal("PeakEwma", (string?)clusters["api"]!["load_balancing"]);
        Assert.Equal("api-route", (string?)routes[0]!["name"]);
        Assert.Equal("/api", (string?)routes[0]!["match"]!["path_prefix"]);
    }

    [Fact]
    public async Task Metrics_RequestsCountedWithRouteClusterAndStatusClass()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                metered: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - { name: metered-route, cluster: metered }
            """);
        var seen = new List<(string Name, long Value, string? Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Outrigger.Proxy")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var route = tags.ToArray().FirstOrDefault(t => t.Key is "route" or "cluster").Value as string;
            if (route is "metered-route" or "metered")
            {
                lock (seen)
                {
                    seen.Add((instrument.Name, value, tags.ToArray().FirstOrDefault(t => t.Key == "status_class").Value as string));
                }
            }
        });
        listener.Start();
        using var client = proxy.CreateClient();

        (await client.GetAsync("/status/200")).Dispose();
        (await client.GetAsync("/status/503")).Dispose();
        listener.RecordObservableInstruments();

        lock (seen)
        {
            Assert.Contains(("upstream_endpoints", 1L, null), seen);
            Assert.Contains(("upstream_rq_active", 0L, null), seen);
            Assert.Equal(2, seen.Count(s => s.Name == "proxy_requests_total"));
            Assert.Contains(("proxy_requests_successful_total", 1L, "2xx"), seen);
            Assert.Contains(("proxy_requests_failed_total", 1L, "5xx"), seen);
            Assert.Contains(("upstream_rq_total", 1L, "5xx"), seen);
            Assert.Contains(seen, s => s.Name == "upstream_cx_total");
        }
    }

    [Fact]
    public async Task DnsDiscovery_RealDnsServer_EndpointsFollowTheRecords()
    {
        await using var upstream = await TestUpstream.StartAsync("from-dns");
        using var dns = new Outrigger.Discovery.Tests.Dns.Dnsmasq(1, "127.0.0.1 api.test");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  discovery: { type: dns, name: api.test, port: {{upstream.Port}}, server: "127.0.0.1:{{dns.Port}}", min_refresh_ms: 100 }
            """);
        using var client = proxy.CreateClient();
        await WaitFor(async () => JsonNode.Parse(await proxy.AdminGetAsync("/clusters"))!["api"]!["available"]!.GetValue<int>() == 1);

        using var response = await client.GetAsync("/headers");
        Assert.Equal("from-dns", response.Headers.GetValues("x-upstream").Single());

        dns.SetRecords("127.0.0.1 api.test", "127.0.0.2 api.test");
        await WaitFor(async () => JsonNode.Parse(await proxy.AdminGetAsync("/clusters"))!["api"]!["endpoints"]!.AsArray().Count == 2);
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Head_And_NoContent_ForwardedWithoutBody()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        using var client = proxy.CreateClient();

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/bytes/5000"));
        using var noContent = await client.GetAsync("/status/204");

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(5000, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NoContent, noContent.StatusCode);
    }
}
