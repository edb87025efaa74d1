using System.Diagnostics;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>Python grpcio + protobuf checks our health and reflection services (the interop executable serves both).</summary>
public sealed class GrpcioHealthReflectionTests
{
    [PeerFact(Peer.Grpcio)]
    public async Task GrpcioClient_HealthAndReflectionV1AndV1Alpha_Pass()
    {
        var info = new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Outrigger.Interop.dll"), "--port=0" } };
        var (server, port) = await PeerProcess.StartServerAsync(info);
        using (server)
        {
            using var client = PeerProcess.Start(Peer.StartInfo(Peer.Grpcio, "reflection_health_client", $"--server_port={port}"));
            var (exitCode, output) = await client.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(exitCode == 0, output);
            Assert.Equal(4, output.Split('\n').Count(l => l.StartsWith("PASS ", StringComparison.Ordinal)));
        }
    }
}
