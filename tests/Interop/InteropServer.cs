using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Grpc.Health;
using Outrigger.Grpc.Health.V1;
using Outrigger.Grpc.Reflection;
using Outrigger.Grpc.Server;

namespace Outrigger.Interop;

/// <summary>The interop server: <c>grpc.testing.TestService</c>, health and reflection on all interfaces, h2c or TLS.</summary>
public static class InteropServer
{
    public static Task<HttpServer> StartAsync(int port, bool useTls, ILoggerFactory loggerFactory, IPAddress? address = null)
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { LoggerFactory = loggerFactory });
        new TestServiceImpl(TimeProvider.System).Register(registry);
        var health = new HealthService();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(TestServiceMethods.ServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        health.Register(registry);
        new ReflectionService(registry, [global::Grpc.Testing.TestReflection.Descriptor]).Register();
        var endpoint = new IPEndPoint(address ?? IPAddress.Any, port);
        var listen = useTls
            ? new ListenEndpoint(endpoint, HttpProtocols.Http1AndHttp2, l => l.UseHttps(InteropCertificates.LoadServer()))
            : new ListenEndpoint(endpoint, HttpProtocols.Http2);
        return HttpServer.StartAsync([listen], registry.RequestDelegate, loggerFactory);
    }
}
