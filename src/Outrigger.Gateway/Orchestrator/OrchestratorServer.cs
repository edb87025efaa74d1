using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Orchestrator.Store;
using Outrigger.Gateway.Tls;
using Outrigger.Grpc.Server;

namespace Outrigger.Gateway.Orchestrator;

/// <summary>The reference warm orchestrator: its quad store and its gRPC listener.</summary>
internal sealed partial class OrchestratorServer : IAsyncDisposable
{
    private readonly QuadStore _store;
    private readonly HttpServer _server;

    private OrchestratorServer(QuadStore store, HttpServer server)
    {
        _store = store;
        _server = server;
    }

    public IReadOnlyList<IPEndPoint> EndPoints => _server.EndPoints;

    internal QuadStore Store => _store;

    /// <summary>Opens (and recovers) the store, then binds the listener.</summary>
    public static async Task<OrchestratorServer> StartAsync(OrchestratorOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Outrigger.Orchestrator");
        var storeOptions = new QuadStoreOptions { CompactBytes = options.CompactBytes, IdempotencyKeys = options.IdempotencyKeys };
        var store = QuadStore.Open(options.DataDirectory, storeOptions, logger);
        try
        {
            var registry = new GrpcServiceRegistry(new GrpcServerOptions { LoggerFactory = loggerFactory, MaxReceiveMessageSize = options.MaxReceiveMessageBytes });
            new WarmOrchestratorService(store, options.MaxQueryResults).Register(registry);
            var tls = options.Tls is { } serverTls ? TlsFiles.Listener(serverTls) : null;
            var endpoint = ListenEndpoint.Parse(options.Listen, tls is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2, tls);
            var server = await HttpServer.StartAsync([endpoint], registry.RequestDelegate, loggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Listening(logger, string.Join(", ", server.EndPoints), Path.GetFullPath(options.DataDirectory));
            return new OrchestratorServer(store, server);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting calls and lets those in progress finish until <paramref name="cancellationToken"/> fires.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Warm orchestrator listening on {EndPoints}; quad store in {Directory}")]
        public static partial void Listening(ILogger logger, string endPoints, string directory);
    }
}
