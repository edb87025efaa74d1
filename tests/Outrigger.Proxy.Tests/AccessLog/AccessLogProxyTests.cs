using System.Net;
using System.Text.Json;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.AccessLog;

/// <summary>Access log lines written by a proxy serving real requests, read back from the file.</summary>
public sealed class AccessLogProxyTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("outrigger-access-").FullName;

    private string LogFile => Path.Combine(_dir, "access.log");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Request_OneJsonLineWithRouteClusterEndpointStatusBytesAndTraceId()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("al-fields", $"[{upstream.Endpoint()}]", "sample_rate: 1.0"));
        using var client = proxy.CreateClient();
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo/x?q=1") { Content = new StringContent("twelve bytes") };
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        request.Headers.Add("x-request-id", "req-1");
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("twelve bytes", await response.Content.ReadAsStringAsync());
        }

        using (var other = await client.GetAsync("/other"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        var lines = await ReadLinesAsync(l => l.Count >= 2);
        var line = lines.Single(l => l.GetProperty("path").GetString() == "/echo/x");
        Assert.Equal("POST", line.GetProperty("method").GetString());
        Assert.Equal("?q=1", line.GetProperty("query").GetString());
        Assert.Equal("r", line.GetProperty("route").GetString());
        Assert.Equal("al-fields", line.GetProperty("cluster").GetString());
        Assert.Equal($"127.0.0.1:{upstream.Port}", line.GetProperty("endpoint").GetString());
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.Equal(200, line.GetProperty("upstream_status").GetInt32());
        Assert.Equal(1, line.GetProperty("attempts").GetInt32());
        Assert.Equal(0, line.GetProperty("retries").GetInt32());
        Assert.Equal(12, line.GetProperty("bytes_received").GetInt64());
        Assert.Equal(12, line.GetProperty("bytes_sent").GetInt64());
        Assert.True(line.GetProperty("duration_ms").GetDouble() >= line.GetProperty("upstream_ms").GetDouble());
        Assert.Equal(traceId, line.GetProperty("trace_id").GetString());
        Assert.Equal("req-1", line.GetProperty("request_id").GetString());
        Assert.True(DateTimeOffset.UtcNow - line.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Retry_LineCountsAttemptsAndNamesTheEndpointThatAnswered()
    {
        await using var bad = await FaultUpstream.StartAsync("bad", Fault.Error);
        await using var good = await FaultUpstream.StartAsync("good");
        var yaml = Config("al-retry", $"[{bad.Endpoint()}, {good.Endpoint()}]", "sample_rate: 1.0", "retry: { max_attempts: 2 }\n      outlier_detection: { enabled: false }");
        await using var proxy = await ProxyHost.StartAsync(yaml);
        using var client = proxy.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var lines = await ReadLinesAsync(l => l.Count >= 4);
        Assert.All(lines, l => Assert.Equal($"127.0.0.1:{good.Port}", l.GetProperty("endpoint").GetString()));
        Assert.Equal(bad.Requests, lines.Sum(l => l.GetProperty("retries").GetInt32()));
        Assert.Contains(lines, l => l.GetProperty("attempts").GetInt32() == 2);
    }

    [Fact]
    public async Task Sampling_ShareOfSuccessesLogged_ErrorsAlwaysLogged()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Config("al-sample", $"[{upstream.Endpoint()}]", "sample_rate: 0.25"));
        using var client = proxy.CreateClient();
        for (var i = 0; i < 400; i++)
        {
            using var response = await client.GetAsync("/x");
        }

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/status/503");
        }

        // 400 × 0.25 = 100 expected successes; σ ≈ 8.7, so [50, 150] fails by chance less than once in 10^8.
        // Lines are written in order: once the last 503 is in the file, every earlier line is.
        var lines = await ReadLinesAsync(l => l.Count(e => e.GetProperty("status").GetInt32() == 503) == 10);
        Assert.Equal(10, lines.Count(l => l.GetProperty("status").GetInt32() == 503));
        Assert.InRange(lines.Count(l => l.GetProperty("status").GetInt32() == 200), 50, 150);
    }

    [Fact]
    public async Task SlowWriter_LinesDroppedAndCounted_RequestsNotBlocked()
    {
        // A FIFO nobody reads: the writer blocks opening it, as it would on a stuck disk.
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
        }

        using var metrics = new MetricsCapture();
        await using var upstream = await TestUpstream.StartAsync("a");
        var proxy = await ProxyHost.StartAsync(Config("al-drop", $"[{upstream.Endpoint()}]", "buffer_lines: 4", path: fifo));
        try
        {
            using var client = proxy.CreateClient();
            for (var i = 0; i < 50; i++)
            {
                using var response = await client.GetAsync("/x");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.InRange(metrics.Get("proxy_access_log_dropped_total", ""), 46, 50);
        }
        finally
        {
            // Let the blocked writer open the FIFO and finish, so the proxy can be disposed.
            var drain = Task.Run(() => File.ReadAllBytes(fifo));
            await proxy.DisposeAsync();
            await drain.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Config_SampleRateOutOfRange_IsAnErrorNamingTheKey()
    {
        TestConfig.Read("proxy:\n  access_log: { sample_rate: 1.5 }\n", out var errors);
        Assert.Contains(errors, e => e.Path == "proxy.access_log.sample_rate");
    }

    private string Config(string cluster, string endpoints, string accessLog, string clusterExtra = "", string? path = null) => $$"""
        proxy:
          access_log:
            path: {{path ?? LogFile}}
            {{accessLog}}
          clusters:
            {{cluster}}:
              endpoints: {{endpoints}}
              {{clusterExtra}}
          routes: [{ name: r, cluster: {{cluster}} }]
        """;

    /// <summary>The lines written so far, once they satisfy <paramref name="enough"/> (the writer is asynchronous).</summary>
    private async Task<List<JsonElement>> ReadLinesAsync(Func<List<JsonElement>, bool> enough)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var lines = File.Exists(LogFile)
                ? (await File.ReadAllLinesAsync(LogFile)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
                : [];
            if (enough(lines) || DateTime.UtcNow > deadline)
            {
                return lines;
            }

            await Task.Delay(50);
        }
    }
}
