using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;
using Outrigger.Hosting;

namespace Outrigger.Tests.Hosting;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task OtlpEndpoint_Configured_ExportsMetricsOverHttpProtobuf()
    {
        var received = new ConcurrentQueue<(string Path, string ContentType, long Length)>();
        await using var collector = await HttpServer.StartAsync(
            [new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0), HttpProtocols.Http1)],
            async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                received.Enqueue((context.Request.Path.Value!, context.Request.ContentType ?? "", body.Length));
                context.Response.StatusCode = StatusCodes.Status200OK;
            },
            NullLoggerFactory.Instance);
        var configuration = SidecarConfiguration.Load(
            null,
            new Dictionary<string, string>
            {
                ["OUTRIGGER_ADMIN__ADDRESS"] = "127.0.0.1:0",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://{collector.EndPoints[0]}",
                ["OUTRIGGER_TELEMETRY__OTLP_PROTOCOL"] = "http/protobuf",
                ["LOG_LEVEL"] = "warning",
            },
            []);
        var host = new SidecarHost(configuration);
        await host.StartAsync(CancellationToken.None);
        using (var client = new HttpClient())
        {
            await client.GetAsync($"http://{host.AdminEndPoints[0]}/health");
        }

        await host.StopAsync();
        await host.DisposeAsync();

        var metrics = Assert.Single(received, r => r.Path == "/v1/metrics");
        Assert.Equal("application/x-protobuf", metrics.ContentType);
        Assert.True(metrics.Length > 100, $"metrics payload of {metrics.Length} bytes");
    }
}
