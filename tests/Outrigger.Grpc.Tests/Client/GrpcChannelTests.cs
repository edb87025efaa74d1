using System.Net;
using System.Net.Sockets;
using Outrigger.Grpc.Client;
using Outrigger.Grpc.Health;
using Outrigger.Grpc.Health.V1;

namespace Outrigger.Grpc.Tests.Client;

public sealed class GrpcChannelTests
{
    [Fact]
    public async Task Call_ToClosedPort_IsUnavailable_AndKeepsTheConnectErrorAsInnerException()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");

        var e = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(HealthService.CheckMethod, new HealthCheckRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        var http = Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.Equal(HttpRequestError.ConnectionError, http.HttpRequestError);
    }

    [Fact]
    public async Task DuplexWrite_CallFailsToStart_FailsUnavailable_InsteadOfWaitingForever()
    {
        var duplex = new Method<HealthCheckRequest, HealthCheckResponse>(MethodType.DuplexStreaming, "grpc.health.v1.Health", "Chat", HealthCheckRequest.Parser, HealthCheckResponse.Parser);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ClosedPort()}", new GrpcChannelOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });
        using var call = channel.AsyncDuplexStreamingCall(duplex);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new HealthCheckRequest(), giveUp.Token));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
