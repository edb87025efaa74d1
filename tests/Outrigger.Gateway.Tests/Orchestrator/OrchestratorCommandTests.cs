using System.Net;
using System.Net.Sockets;
using Knhk.Sidecar.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Gateway.Orchestrator;
using Outrigger.Gateway.Protocol;
using Outrigger.Grpc.Client;

namespace Outrigger.Gateway.Tests.Orchestrator;

public sealed class OrchestratorCommandTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "orch-cmd-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_ServesUntilCancelledThenReturnsZero()
    {
        var port = FreePort();
        using var stop = new CancellationTokenSource();
        var run = OrchestratorCommand.RunAsync(new OrchestratorOptions { Listen = $"127.0.0.1:{port}", DataDirectory = _dataDir }, NullLoggerFactory.Instance, stop.Token);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");

        var health = await RetryUntilServingAsync(() => channel.AsyncUnaryCall(WarmOrchestratorMethods.HealthCheck, new HealthCheckRequest()).ResponseAsync);
        await stop.CancelAsync();

        Assert.True(health.Healthy);
        Assert.Equal("quad store: 0 quads at sequence 0", health.Message);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task RunAsync_PortInUse_ReturnsOneWithoutThrowing()
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;

        var code = await OrchestratorCommand.RunAsync(new OrchestratorOptions { Listen = $"127.0.0.1:{port}", DataDirectory = _dataDir }, NullLoggerFactory.Instance, CancellationToken.None);

        Assert.Equal(1, code);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<T> RetryUntilServingAsync<T>(Func<Task<T>> call)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await call();
            }
            catch (Outrigger.Grpc.RpcException) when (i < 100)
            {
                await Task.Delay(50);
            }
        }
    }
}
