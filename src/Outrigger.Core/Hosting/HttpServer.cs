using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Outrigger.Core.Hosting;

/// <summary>
/// A Kestrel server without the web-host machinery: listeners plus one <see cref="RequestDelegate"/>.
/// Every module that serves HTTP or gRPC starts one; they share nothing but the process.
/// </summary>
public sealed class HttpServer : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private readonly ServiceProvider _services;
    private int _stopped;

    private HttpServer(KestrelServer server, ServiceProvider services, IReadOnlyList<IPEndPoint> endpoints)
    {
        _server = server;
        _services = services;
        EndPoints = endpoints;
    }

    /// <summary>The endpoints actually bound (a port of 0 is replaced by the one the OS chose).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>Binds <paramref name="listen"/> and serves <paramref name="app"/> until stopped.</summary>
    /// <param name="listen">Listen endpoints; each is configured by its <see cref="ListenEndpoint.Configure"/>.</param>
    /// <param name="app">The request pipeline.</param>
    /// <param name="loggerFactory">Kestrel's own logs go here.</param>
    /// <param name="configure">Server-wide limits (header sizes, HTTP/2 settings, …).</param>
    /// <param name="cancellationToken">Cancels binding.</param>
    public static async Task<HttpServer> StartAsync(
        IReadOnlyList<ListenEndpoint> listen,
        RequestDelegate app,
        ILoggerFactory loggerFactory,
        Action<KestrelServerOptions>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var services = KestrelServices.Create(loggerFactory);
        var options = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        configure?.Invoke(options);
        var listenOptions = new List<ListenOptions>();
        foreach (var endpoint in listen)
        {
            options.Listen(endpoint.Handoff is { } handoff ? new HandoffEndPoint(handoff) : endpoint.EndPoint, l =>
            {
                listenOptions.Add(l);
                l.Protocols = endpoint.Protocols;
                endpoint.Configure?.Invoke(l);
            });
        }

        if (listenOptions.Exists(CleartextHttp2.IsUsedOn))
        {
            options.AllowAlternateSchemes = true;
            loggerFactory = new CleartextHttp2.WarningFilter(loggerFactory);
        }

        var transport = new HandoffTransportFactory(new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory), loggerFactory);
        var server = new KestrelServer(Options.Create(options), transport, loggerFactory);
        try
        {
            await server.StartAsync(new DelegateApplication(app), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            await services.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = new List<IPEndPoint>();
        foreach (var l in listenOptions)
        {
            if (l.EndPoint is HandoffEndPoint handoff)
            {
                bound.Add(handoff.Handoff.EndPoint);
            }
            else if (l.IPEndPoint is { } ip)
            {
                bound.Add(ip);
            }
        }

        if (bound.Count == 0 && server.Features.Get<IServerAddressesFeature>() is { } addresses)
        {
            foreach (var address in addresses.Addresses)
            {
                var uri = new Uri(address);
                bound.Add(new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port));
            }
        }

        return new HttpServer(server, services, bound);
    }

    /// <summary>Stops accepting and waits for in-flight requests; when <paramref name="cancellationToken"/> fires, aborts them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _server.Dispose();
        await _services.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DelegateApplication(RequestDelegate app) : IHttpApplication<DefaultHttpContext>
    {
        public DefaultHttpContext CreateContext(IFeatureCollection contextFeatures) => new(contextFeatures);

        public Task ProcessRequestAsync(DefaultHttpContext context) => app(context);

        public void DisposeContext(DefaultHttpContext context, Exception? exception) => context.Uninitialize();
    }
}

/// <summary>One listen socket of an <see cref="HttpServer"/>.</summary>
/// <param name="EndPoint">Address and port; port 0 picks a free one.</param>
/// <param name="Protocols">HTTP/1.1, HTTP/2 (h2c when there is no TLS) or both (both needs TLS for ALPN, or <see cref="CleartextHttp2"/> on a cleartext port).</param>
/// <param name="Configure">Further listener setup, e.g. <c>l =&gt; l.UseHttps(...)</c>, or <see cref="CleartextHttp2.Use"/> for HTTP/1.1 and h2c on one cleartext port.</param>
public sealed record ListenEndpoint(IPEndPoint EndPoint, HttpProtocols Protocols = HttpProtocols.Http1AndHttp2, Action<ListenOptions>? Configure = null)
{
    /// <summary>Parses a configured <c>host:port</c> (see <see cref="HostPort"/>).</summary>
    public static ListenEndpoint Parse(string address, HttpProtocols protocols = HttpProtocols.Http1AndHttp2, Action<ListenOptions>? configure = null) =>
        new(HostPort.ToListenEndPoint(address), protocols, configure);

    /// <summary>Kestrel serves the connections handed to <paramref name="handoff"/> instead of binding a socket of its own.</summary>
    public static ListenEndpoint ForHandoff(ConnectionHandoff handoff, HttpProtocols protocols = HttpProtocols.Http1AndHttp2, Action<ListenOptions>? configure = null) =>
        new(handoff.EndPoint, protocols, configure) { Handoff = handoff };

    /// <summary>Set: connections come from this handoff, and <see cref="EndPoint"/> is only what the server reports.</summary>
    public ConnectionHandoff? Handoff { get; init; }
}
