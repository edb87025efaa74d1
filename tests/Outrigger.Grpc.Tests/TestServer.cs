using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;
using Outrigger.Grpc.Client;
using Outrigger.Grpc.Server;
using Outrigger.Interop;

namespace Outrigger.Grpc.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, serving a registry; disposed by the test.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly HttpServer _server;

    private TestServer(HttpServer server, GrpcServiceRegistry registry, bool tls)
    {
        _server = server;
        Registry = registry;
        Address = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{server.EndPoints[0].Port}");
    }

    public GrpcServiceRegistry Registry { get; }

    public Uri Address { get; }

    public int Port => Address.Port;

    public static async Task<TestServer> StartAsync(Action<GrpcServiceRegistry> register, GrpcServerOptions? options = null, bool tls = false, HttpProtocols? protocols = null)
    {
        var registry = new GrpcServiceRegistry(options);
        register(registry);
        var endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        var listen = tls
            ? new ListenEndpoint(endpoint, protocols ?? HttpProtocols.Http1AndHttp2, l => Microsoft.AspNetCore.Hosting.ListenOptionsHttpsExtensions.UseHttps(l, InteropCertificates.LoadServer()))
            : new ListenEndpoint(endpoint, protocols ?? HttpProtocols.Http2);
        var server = await HttpServer.StartAsync([listen], registry.RequestDelegate, NullLoggerFactory.Instance);
        return new TestServer(server, registry, tls);
    }

    /// <summary>The interop TestService.</summary>
    public static Task<TestServer> StartInteropAsync(bool tls = false) =>
        StartAsync(r => new TestServiceImpl(TimeProvider.System).Register(r), tls: tls);

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        if (Address.Scheme == Uri.UriSchemeHttps && options.SslOptions is null)
        {
            options.SslOptions = InteropCertificates.ClientOptions("localhost", presentClientCertificate: false);
        }

        return GrpcChannel.ForAddress(Address, options);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
