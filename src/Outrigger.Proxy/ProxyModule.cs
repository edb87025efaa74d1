using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Discovery;
using Outrigger.Discovery.Dns;
using Outrigger.Discovery.Static;
using Outrigger.Proxy.Admin;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Direct;
using Outrigger.Proxy.Listener;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Tls;

namespace Outrigger.Proxy;

/// <summary>
/// The running proxy: its listener, clusters with their discovery and health checks, its admin endpoints, and the
/// configuration generation it serves (replaced on reload, see ProxyModule.Reload.cs).
/// </summary>
internal sealed partial class ProxyModule : IModule
{
    private readonly ProxyOptions _options;
    private readonly ModuleContext _context;
    private readonly ILogger _logger;
    private readonly ReloadStatus _status;
    private Dictionary<string, RunningCluster> _clusters = new(StringComparer.Ordinal);
    private ProxyRequestHandler? _handler;
    private volatile TlsTermination? _tls;
    private HttpServer? _server;
    private DirectListener? _direct;

    public ProxyModule(ProxyOptions options, ModuleContext context)
    {
        _options = options;
        _context = context;
        _logger = context.LoggerFactory.CreateLogger("Outrigger.Proxy");
        _status = new ReloadStatus(options.HotReload.Enabled ? context.ConfigFile : null, context.TimeProvider);
        ProxyAdmin.Map(context.Admin, () => [.. _clusters.Values.Select(c => c.State)], () => _handler?.Runtime.Routes, _status.ToJson);
    }

    public string Name => "proxy";

    /// <summary>The bound listen endpoints (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<System.Net.IPEndPoint> EndPoints => _direct is not null ? [_direct.EndPoint] : _server?.EndPoints ?? [];

    /// <summary>The direct path's listener, when it owns the listen socket.</summary>
    internal DirectListener? Direct => _direct;

    /// <summary>The configuration generation serving new requests (after <see cref="StartAsync"/>).</summary>
    internal ProxyRuntime? Runtime => _handler?.Runtime;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var runtime = Build(_options, generation: 1, previous: null, out _, out var adopt);
        Adopt(adopt);
        _status.Applied(1);
        _handler = new ProxyRequestHandler(runtime, _context.TimeProvider, _logger);
        var listener = _options.Listener;
        _tls = listener.Tls is { } tls ? new TlsTermination(tls, listener.Protocols, _context.TimeProvider, _logger) : null;
        var endpoint = ListenEndpoint.Parse(listener.Address, listener.Protocols, ConfigureListener);
        if (_tls is null && listener.DirectPath && listener.Protocols.HasFlag(HttpProtocols.Http1))
        {
            // The direct path owns the socket; Kestrel serves the connections it hands over.
            _direct = new DirectListener(endpoint.EndPoint, _handler, _options, _context.TimeProvider, _logger);
            var handoff = new ConnectionHandoff(_direct.EndPoint);
            endpoint = ListenEndpoint.ForHandoff(handoff, listener.Protocols, ConfigureListener);
            _server = await HttpServer.StartAsync([endpoint], _handler.InvokeAsync, _context.LoggerFactory, ConfigureLimits, cancellationToken).ConfigureAwait(false);
            _direct.Start(handoff);
        }
        else
        {
            _server = await HttpServer.StartAsync([endpoint], _handler.InvokeAsync, _context.LoggerFactory, ConfigureLimits, cancellationToken).ConfigureAwait(false);
        }
        Log.Listening(_logger, string.Join(", ", _server.EndPoints), _clusters.Count, runtime.Routes.Routes.Count);
        StartWatching();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await StopWatchingAsync().ConfigureAwait(false);
        await Task.WhenAll(
            _direct?.StopAsync(cancellationToken) ?? Task.CompletedTask,
            _server?.StopAsync(cancellationToken) ?? Task.CompletedTask).ConfigureAwait(false);

        foreach (var cluster in _clusters.Values)
        {
            await cluster.StopAsync().ConfigureAwait(false);
        }
    }

    public ModuleHealth GetHealth()
    {
        if (_server is null)
        {
            return new ModuleHealth(false, "not started");
        }

        var clusters = new JsonObject();
        foreach (var cluster in _clusters.Values)
        {
            clusters[cluster.State.Name] = new JsonObject { ["endpoints"] = cluster.State.All.Length, ["available"] = cluster.State.Available.Length };
        }

        return new ModuleHealth(true, null, new JsonObject { ["listen"] = string.Join(", ", _server.EndPoints), ["clusters"] = clusters, ["config"] = _status.ToJson() });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        if (_direct is not null)
        {
            await _direct.DisposeAsync().ConfigureAwait(false);
        }

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        await RetireAllAsync().ConfigureAwait(false);
        foreach (var cluster in _clusters.Values)
        {
            cluster.State.Dispose();
        }

        if (_handler?.Runtime is { } runtime)
        {
            runtime.Policies.Dispose();
            if (runtime.AccessLog is not null)
            {
                await runtime.AccessLog.DisposeAsync().ConfigureAwait(false);
            }
        }

        _tls?.Dispose();
    }

    private IServiceDiscovery CreateDiscovery(ClusterOptions options) => options.Dns is { } dns
        ? new DnsDiscovery(dns.Name, dns.Port, dns.Weight, DnsResolvers.Create(dns.Name, dns.Server), dns.MinRefresh, dns.MaxRefresh, _context.TimeProvider, _logger)
        : new StaticDiscovery(options.Endpoints);

    private void ConfigureListener(ListenOptions listen)
    {
        if (_tls is not null)
        {
            // Asked at each handshake: a reload may replace the TLS termination (new certificate files, client CA).
            TlsListener.Use(listen, () => _tls!.Options(), _options.Limits.RequestHeadersTimeout);
        }
        else if (listen.Protocols == HttpProtocols.Http1AndHttp2)
        {
            CleartextHttp2.Use(listen, _options.Limits.RequestHeadersTimeout);
        }
    }

    private void ConfigureLimits(KestrelServerOptions server)
    {
        var limits = _options.Limits;
        // In front of Kestrel, the direct path counts every connection, those it hands over included, until it closes.
        server.Limits.MaxConcurrentConnections = limits.MaxConnections > 0 && _direct is null ? limits.MaxConnections : null;
        server.Limits.MaxConcurrentUpgradedConnections = limits.MaxConnections > 0 ? limits.MaxConnections : null;
        server.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeaderBytes;
        server.Limits.MaxRequestLineSize = limits.MaxRequestLineBytes;
        server.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaders;
        server.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes > 0 ? limits.MaxRequestBodyBytes : null;
        server.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        server.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
        server.Limits.MinRequestBodyDataRate = limits.MinRequestBodyBytesPerSecond > 0 ? new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod) : null;
        server.Limits.Http2.MaxRequestHeaderFieldSize = Math.Max(server.Limits.Http2.MaxRequestHeaderFieldSize, limits.MaxRequestHeaderBytes);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Proxy listening on {Endpoints} with {Clusters} clusters and {Routes} routes")]
        public static partial void Listening(ILogger logger, string endpoints, int clusters, int routes);
    }
}
