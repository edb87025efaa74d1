using System.Net;
using System.Text.Json;
using Outrigger.Hosting;

namespace Outrigger.Tests.Hosting;

public sealed class AdminServerTests : IAsyncLifetime
{
    private readonly TestModuleDefinition _gateway = new("gateway");
    private readonly HttpClient _client = new();
    private SidecarHost _host = null!;

    public async Task InitializeAsync()
    {
        var configuration = SidecarConfiguration.Load(
            null,
            new Dictionary<string, string> { ["OUTRIGGER_ADMIN__ADDRESS"] = "127.0.0.1:0", ["OUTRIGGER_GATEWAY__TOKEN"] = "s3cret", ["LOG_LEVEL"] = "warning" },
            [_gateway, new TestModuleDefinition("conveyor", enabledByDefault: false)]);
        _host = new SidecarHost(configuration);
        await _host.StartAsync(CancellationToken.None);
        _client.BaseAddress = new Uri($"http://{_host.AdminEndPoints[0]}");
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task Health_Returns200()
    {
        using var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_NamesModulesThatAreNotReady()
    {
        using (var ready = await _client.GetAsync("/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            using var json = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("reachable", json.RootElement.GetProperty("modules").GetProperty("gateway").GetProperty("detail").GetProperty("upstream").GetString());
        }

        _gateway.Created!.Ready = false;
        using var notReady = await _client.GetAsync("/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        using var body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync());
        Assert.Equal("gateway", Assert.Single(body.RootElement.GetProperty("not_ready").EnumerateArray()).GetString());
        Assert.Equal("waiting for the test", body.RootElement.GetProperty("modules").GetProperty("gateway").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Ready_WaitSeconds_ReturnsWhenModuleBecomesReady()
    {
        _gateway.Created!.Ready = false;
        var request = _client.GetAsync("/ready?wait_seconds=10");
        await Task.Delay(200);
        Assert.False(request.IsCompleted);

        _gateway.Created.Ready = true;
        using var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Config_ShowsEffectiveValues_WithSecretsRedacted()
    {
        var text = await _client.GetStringAsync("/config");

        using var json = JsonDocument.Parse(text);
        var gateway = json.RootElement.GetProperty("gateway");
        Assert.Equal("<redacted>", gateway.GetProperty("token").GetString());
        Assert.Equal(8, gateway.GetProperty("batch_size").GetInt32());
        Assert.True(gateway.GetProperty("enabled").GetBoolean());
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Modules_ListsRunningAndDisabled()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync("/modules"));

        Assert.True(json.RootElement.GetProperty("modules").GetProperty("gateway").GetProperty("ready").GetBoolean());
        Assert.Equal("conveyor", Assert.Single(json.RootElement.GetProperty("disabled").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Metrics_HasProcessRuntimeAndHistogram()
    {
        await _client.GetAsync("/health");

        using var response = await _client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE process_cpu_seconds_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text, StringComparison.Ordinal);
        Assert.Contains("outrigger_admin_request_duration_seconds_bucket{path=\"/health\",le=\"+Inf\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logging_Post_ChangesLevel_AndRejectsNonsense()
    {
        using var changed = await _client.PostAsync("/logging?level=debug", null);
        Assert.Equal("level: debug\n", await changed.Content.ReadAsStringAsync());
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, _host.LogLevel.Level);

        using var bad = await _client.PostAsync("/logging", new StringContent("loud"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task UnknownPathAndWrongMethod_Get404And405()
    {
        using var missing = await _client.GetAsync("/nope");
        using var wrong = await _client.DeleteAsync("/health");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Equal("GET", wrong.Content.Headers.Allow.Single());
    }
}
