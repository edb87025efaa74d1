using Outrigger.Grpc.Health;
using Outrigger.Grpc.Health.V1;
using ServingStatus = Outrigger.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Outrigger.Grpc.Tests.Health;

public sealed class HealthServiceTests
{
    [Fact]
    public async Task Check_KnownAndUnknownServices_AnswersStatusOrNotFound()
    {
        var health = new HealthService();
        health.SetStatus("svc", ServingStatus.Serving);
        await using var server = await TestServer.StartAsync(health.Register);
        using var channel = server.CreateChannel();

        var known = await channel.AsyncUnaryCall(HealthService.CheckMethod, new HealthCheckRequest { Service = "svc" });
        var unknown = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(HealthService.CheckMethod, new HealthCheckRequest { Service = "other" }).ResponseAsync);

        Assert.Equal(ServingStatus.Serving, known.Status);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Watch_StatusChanges_StreamsCurrentThenEachChange()
    {
        var health = new HealthService();
        await using var server = await TestServer.StartAsync(health.Register);
        using var channel = server.CreateChannel();
        using var watch = channel.AsyncServerStreamingCall(HealthService.WatchMethod, new HealthCheckRequest { Service = "svc" });

        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.ServiceUnknown, watch.ResponseStream.Current.Status);
        health.SetStatus("svc", ServingStatus.Serving);
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        health.Shutdown();
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);
    }
}
