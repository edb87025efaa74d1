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
}
