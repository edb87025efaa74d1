using System.Diagnostics;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

/// <summary>gRPC through the proxy between two real grpcio peers (Python): unary, server streaming, error status in trailers.</summary>
public sealed class GrpcTests
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Peers", "grpc_peer.py");

    [Fact]
    public async Task Grpc_PythonClientThroughProxyToPythonServer_StatusAndTrailersIntact()
    {
        var port = ForwardingTests.FreePort();
        using var server = Process.Start(new ProcessStartInfo("/usr/bin/python3", [Script, "server", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("ready", await server.StandardOutput.ReadLineAsync());
            await using var proxy = await ProxyHost.StartAsync($$"""
                proxy:
                  clusters:
                    grpc: { protocol: http2, endpoints: [{ address: 127.0.0.1, port: {{port}} }] }
                  routes:
                    - { cluster: grpc, match: { path_prefix: /test.Echo, headers: [{ name: content-type, value: application/grpc, mode: prefix }] } }
                """);

            var (exit, output, error) = await Tool.RunAsync("/usr/bin/python3", Script, "client", $"127.0.0.1:{proxy.Port}");

            Assert.True(exit == 0, error);
            Assert.Equal(
                ["unary echo:hi trailer=unary", "stream s-0,s-1,s-2", "fail NOT_FOUND no such thing"],
                output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
