using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Knhk.Sidecar.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Admin;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Configuration;
using Outrigger.Gateway.Orchestrator;
using Outrigger.Gateway.Protocol;
using Outrigger.Gateway.Tests.Acceptance;
using Outrigger.Gateway.Tests.Fakes;
using Outrigger.Gateway.Tls;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;

namespace Outrigger.Gateway.Tests.Tls;

/// <summary>TLS on the app-facing listener and mTLS from the gateway to the orchestrator, with certificates made per test.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TestCertificates _certs = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "gateway-tls-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _certs.Dispose();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task SubmitTransaction_OverTlsToTheGatewayAndMutualTlsToTheOrchestrator_Commits()
    {
        await using var orchestrator = await StartOrchestratorAsync();
        await using var gateway = await StartGatewayAsync(orchestrator, withClientCertificate: true);
        using var channel = TlsChannel(gateway);

        var response = await channel.AsyncUnaryCall(KgcSidecarMethods.SubmitTransaction, Tx(), new CallOptions { Timeout = TimeSpan.FromSeconds(20) });

        Assert.True(response.Success);
        Assert.Equal(1u, response.Receipt.Lanes);
        Assert.Equal(1, orchestrator.Store.QuadCount);
    }

    [Fact]
    public async Task SubmitTransaction_GatewayWithoutClientCertificate_IsRefusedByTheOrchestrator()
    {
        await using var orchestrator = await StartOrchestratorAsync();
        await using var gateway = await StartGatewayAsync(orchestrator, withClientCertificate: false);
        using var channel = TlsChannel(gateway);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.AsyncUnaryCall(KgcSidecarMethods.SubmitTransaction, Tx(), new CallOptions { Timeout = TimeSpan.FromSeconds(20) }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("warm orchestrator https://localhost:", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, orchestrator.Store.QuadCount);
    }

    private async Task<OrchestratorServer> StartOrchestratorAsync() =>
        await OrchestratorServer.StartAsync(
            new OrchestratorOptions { Listen = "127.0.0.1:0", DataDirectory = _dataDir, Tls = new ServerTlsOptions(_certs.ServerCertFile, _certs.ServerKeyFile, _certs.CaFile) },
            NullLoggerFactory.Instance,
            CancellationToken.None);

    private async Task<GatewayModule> StartGatewayAsync(OrchestratorServer orchestrator, bool withClientCertificate)
    {
        var options = GatewayHarness.FastOptions(batchTimeoutMs: 10) with
        {
            Tls = new ServerTlsOptions(_certs.ServerCertFile, _certs.ServerKeyFile, null),
            Orchestrator = new UpstreamOptions
            {
                Endpoint = $"https://localhost:{orchestrator.EndPoints[0].Port}",
                Tls = new ClientTlsOptions(_certs.CaFile, withClientCertificate ? _certs.ClientCertFile : null, withClientCertificate ? _certs.ClientKeyFile : null, null),
            },
        };
        var gateway = (GatewayModule)new GatewayModuleDefinition().Create(options, new ModuleContext(NullLoggerFactory.Instance, TimeProvider.System, new AdminRoutes(), _dataDir));
        await gateway.StartAsync(CancellationToken.None);
        return gateway;
    }

    private GrpcChannel TlsChannel(GatewayModule gateway)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(_certs.CaFile);
        var ssl = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == 0 && chain.Build(new X509Certificate2(cert!));
            },
        };
        return GrpcChannel.ForAddress($"https://localhost:{gateway.EndPoints[0].Port}", new GrpcChannelOptions { SslOptions = ssl });
    }

    private static Transaction Tx() => new() { Additions = { new Triple { Subject = 1, Predicate = 2, Object = 3 } } };
}
