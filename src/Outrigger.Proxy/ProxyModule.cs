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
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Health;
using Outrigger.Proxy.Listener;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Policies;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tls;

namespace Outrigger.Proxy;

/// <summary>The running proxy: its listener, clusters with their discovery and health checks, and its admin endpoints.</summary>
internal sealed partial class ProxyModule : IModule
{
    private readonly ProxyOptions _options;
    private readonly ModuleContext _context;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ClusterState> _clusters = new(StringComparer.Ordinal);
    private readonly List<ActiveHealthChecker> _checkers = [];
    private readonly List<Task> _watchers = [];
    private readonly CancellationTokenSource _stop = new();
    private RouteTable? _routes;
    private RoutePolicies? _policies;
    private TlsTermination? _tls;
    private HttpServer? _server;

    public ProxyModule(ProxyOptions options, ModuleContext context)
    {
        _options = options;
        _context = context;
        _logger = context.LoggerFactory.CreateLogger("Outrigger.Proxy");
        ProxyAdmin.Map(context.Admin, () => _clusters.Values, () => _routes);
    }

    public string Name => "proxy";

    /// <summary>The bound listen endpoints (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<System.Net.IPEndPoint> EndPoints => _server?.EndPoints ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var time = _context.TimeProvider;
        foreach (var options in _options.Clusters)
        {
            var cluster = new ClusterState(options, time, _logger);
            _clusters[options.Name] = cluster;
            ProxyMetrics.Track(cluster);
            _watchers.Add(WatchAsync(cluster, CreateDiscovery(options), _stop.Token));
            if (options.HealthCheck.Enabled)
            {
                var checker = new ActiveHealthChecker(cluster, options.HealthCheck, time, _logger);
                _checkers.Add(checker);
                checker.Start();
            }
        }

        _routes = new RouteTable(_options.Routes, _clusters);
        var forwarder = new HttpForwarder(_options.Forwarding, time, _logger);
        var mtls = _options.Listener.Tls?.Termination.ClientCertificates is Tls.ClientCertificateMode.Optional or Tls.ClientCertificateMode.Require;
        _policies = new RoutePolicies(_routes, _options.Security, mtls, forwarder, time, _logger);
        var handler = new ProxyRequestHandler(_routes, forwarder, time, _logger);
        var listener = _options.Listener;
        _tls = listener.Tls is { } tls ? new TlsTermination(tls, listener.Protocols, time, _logger) : null;
        var endpoint = ListenEndpoint.Parse(listener.Address, listener.Protocols, ConfigureListener);
        _server = await HttpServer.StartAsync([endpoint], handler.InvokeAsync, _context.LoggerFactory, ConfigureLimits, cancellationToken).ConfigureAwait(false);
        Log.Listening(_logger, string.Join(", ", _server.EndPoints), _clusters.Count, _routes.Routes.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var checker in _checkers)
        {
            await checker.DisposeAsync().ConfigureAwait(false);
        }

        _checkers.Clear();
        await Task.WhenAll(_watchers).ConfigureAwait(false);
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
            clusters[cluster.Name] = new JsonObject { ["endpoints"] = cluster.All.Length, ["available"] = cluster.Available.Length };
        }

        return new ModuleHealth(true, null, new JsonObject { ["listen"] = string.Join(", ", _server.EndPoints), ["clusters"] = clusters });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var cluster in _clusters.Values)
        {
            ProxyMetrics.Untrack(cluster);
            cluster.Dispose();
        }

        _policies?.Dispose();
        _tls?.Dispose();
        _stop.Dispose();
    }

    private IServiceDiscovery CreateDiscovery(ClusterOptions options) => options.Dns is { } dns
        ? new DnsDiscovery(dns.Name, dns.Port, dns.Weight, DnsResolvers.Create(dns.Name, dns.Server), dns.MinRefresh, dns.MaxRefresh, _context.TimeProvider, _logger)
        : new StaticDiscovery(options.Endpoints);

    private async Task WatchAsync(ClusterState cluster, IServiceDiscovery discovery, CancellationToken token)
    {
        try
        {
            await foreach (var endpoints in discovery.WatchAsync(token).ConfigureAwait(false))
            {
                cluster.UpdateEndpoints(endpoints);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            Log.DiscoveryFailed(_logger, e, cluster.Name, discovery.Description);
        }
    }

    private void ConfigureListener(ListenOptions listen)
    {
        if (_tls is { } tls)
        {
            TlsListener.Use(listen, tls.Options, _options.Limits.RequestHeadersTimeout);
        }
        else if (listen.Protocols == HttpProtocols.Http1AndHttp2)
        {
            CleartextHttp2.Use(listen, _options.Limits.RequestHeadersTimeout);
        }
    }

    private void ConfigureLimits(KestrelServerOptions server)
    {
        var limits = _options.Limits;
        server.Limits.MaxConcurrentConnections = limits.MaxConnections > 0 ? limits.MaxConnections : null;
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

        [LoggerMessage(2, LogLevel.Error, "Discovery of cluster {Cluster} ({Discovery}) stopped")]
        public static partial void DiscoveryFailed(ILogger logger, Exception exception, string cluster, string discovery);
    }
}
