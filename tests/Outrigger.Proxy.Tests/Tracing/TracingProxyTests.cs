using System.Collections.Concurrent;
using System.Diagnostics;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Tracing;

/// <summary>W3C trace context through the proxy to a real upstream that reports the headers it got, and the proxy's spans.</summary>
public sealed class TracingProxyTests
{
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string ClientSpan = "b7ad6b7169203331";

    [Fact]
    public async Task SpansOn_RequestSpanContinuesClientTrace_AttemptSpanIsItsChild_UpstreamSeesTheAttempt()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("tr-spans", upstream, "spans: true"));
        using var client = proxy.CreateClient();

        var headers = await SendAsync(client, $"00-{TraceId}-{ClientSpan}-01", "vendor=opaque");

        var request = Assert.Single(spans, s => s.TraceId.ToHexString() == TraceId && s.Kind == ActivityKind.Server);
        var attempt = Assert.Single(spans, s => s.TraceId.ToHexString() == TraceId && s.Kind == ActivityKind.Client);
        Assert.Equal(ClientSpan, request.ParentSpanId.ToHexString());
        Assert.Equal(request.SpanId, attempt.ParentSpanId);
        Assert.Equal("r", request.GetTagItem("http.route"));
        Assert.Equal(200, request.GetTagItem("http.response.status_code"));
        Assert.Equal($"127.0.0.1:{upstream.Port}", attempt.GetTagItem("server.address"));
        Assert.Equal($"00-{TraceId}-{attempt.SpanId.ToHexString()}-01", headers["traceparent"]);
        Assert.Equal("vendor=opaque", headers["tracestate"]);
    }

    [Fact]
    public async Task SpansOn_RetriedRequest_OneAttemptSpanPerTry_UnderOneRequestSpan()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        await using var bad = await FaultUpstream.StartAsync("bad", Fault.Reset);
        await using var good = await FaultUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                tr-retry:
                  endpoints: [{{bad.Endpoint()}}, {{good.Endpoint()}}]
                  outlier_detection: { enabled: false }
                  load_balancing: { algorithm: round_robin }
                  retry: { max_attempts: 2 }
              routes: [{ name: r, cluster: tr-retry }]
            """);
        using var client = proxy.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, "/x");
            message.Headers.Add("traceparent", $"00-{TraceId}-{ClientSpan}-01");
            using var response = await client.SendAsync(message);
            response.EnsureSuccessStatusCode();
        }

        var requests = spans.Where(s => s.TraceId.ToHexString() == TraceId && s.Kind == ActivityKind.Server).ToList();
        var attempts = spans.Where(s => s.TraceId.ToHexString() == TraceId && s.Kind == ActivityKind.Client).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(2 + bad.Requests, attempts.Count);
        Assert.All(attempts, a => Assert.Contains(requests, r => r.SpanId == a.ParentSpanId));
        Assert.Equal(bad.Requests, attempts.Count(a => a.Status == ActivityStatusCode.Error));
    }

    [Fact]
    public async Task SpansOff_ClientTraceContextPassesThroughUnchanged()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("tr-off", upstream, "spans: false"));
        using var client = proxy.CreateClient();

        var headers = await SendAsync(client, $"00-{TraceId}-{ClientSpan}-01", "vendor=opaque");

        Assert.Equal($"00-{TraceId}-{ClientSpan}-01", headers["traceparent"]);
        Assert.Equal("vendor=opaque", headers["tracestate"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-not-a-trace-01")]
    public async Task NoValidTraceparent_UpstreamGetsANewTrace_EachRequestItsOwn(string? traceparent)
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("tr-new", upstream, "spans: false"));
        using var client = proxy.CreateClient();

        var first = await SendAsync(client, traceparent, "orphan=state");
        var second = await SendAsync(client, traceparent, null);

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", first["traceparent"]);
        Assert.NotEqual(first["traceparent"][3..35], second["traceparent"][3..35]);
        Assert.False(first.ContainsKey("tracestate"));
    }

    [Fact]
    public async Task StartTracesOff_NoTraceparentAdded()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("tr-none", upstream, "spans: false\n    start_traces: false"));
        using var client = proxy.CreateClient();

        var headers = await SendAsync(client, null, null);

        Assert.False(headers.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task OtlpConfigured_RequestAndAttemptSpansExportedToTheCollector()
    {
        var exported = new ConcurrentQueue<byte[]>();
        await using var collector = await TestUpstream.StartAsync("otlp", handler: async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            if (context.Request.Path == "/v1/traces")
            {
                exported.Enqueue(body.ToArray());
            }

            context.Response.ContentType = "application/x-protobuf";
        });
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("tr-otlp", upstream, "spans: true"));
        const string traceId = "5b8efff798038103d269b633813fc60c";
        var export = Core.Telemetry.TelemetrySetup.StartOtlpExport(new Core.Telemetry.TelemetryOptions("information", "text", $"http://127.0.0.1:{collector.Port}", "http/protobuf", "proxy-test"));
        try
        {
            using var client = proxy.CreateClient();
            await SendAsync(client, $"00-{traceId}-{ClientSpan}-01", null);
        }
        finally
        {
            export!.Dispose(); // flushes the batch
        }

        var all = exported.SelectMany(b => b).ToArray();
        Assert.True(all.AsSpan().IndexOf(Convert.FromHexString(traceId)) >= 0, "the request's trace id was not exported");
        Assert.True(all.AsSpan().IndexOf("proxy request"u8) >= 0);
        Assert.True(all.AsSpan().IndexOf("proxy upstream attempt"u8) >= 0);
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Outrigger.Proxy",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>Sends a request and returns the headers the upstream received (it answers with them, one per line).</summary>
    private static async Task<Dictionary<string, string>> SendAsync(HttpClient client, string? traceparent, string? tracestate)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, "/headers");
        if (traceparent is not null)
        {
            message.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        if (tracestate is not null)
        {
            message.Headers.TryAddWithoutValidation("tracestate", tracestate);
        }

        using var response = await client.SendAsync(message);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        return body.Split('\n').Skip(1).Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }

    private static string Config(string cluster, TestUpstream upstream, string tracing) => $$"""
        proxy:
          tracing:
            {{tracing}}
          clusters:
            {{cluster}}: { endpoints: [{{upstream.Endpoint()}}] }
          routes: [{ name: r, cluster: {{cluster}} }]
        """;
}
