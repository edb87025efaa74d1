using Microsoft.AspNetCore.Server.Kestrel.Core;
using Outrigger.Core;
using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Configuration;

/// <summary>
/// Reads the proxy's options from both shapes: spec 002's top-level sections (<c>server</c>, <c>upstream</c>,
/// <c>load_balancing</c>, <c>circuit_breaker</c>) and Outrigger's <c>proxy:</c> section (listener, routes, clusters).
/// </summary>
internal static class ProxyOptionsReader
{
    public const string DefaultListen = "0.0.0.0:8000";

    public static ProxyOptions Read(ConfigReader root)
    {
        var proxy = root.Section("proxy", "The L7 reverse proxy (spec 002). Its spec-shaped sections server, upstream, load_balancing and circuit_breaker may also be written at the top level.");
        var server = root.Section("server", "Spec 002 server section: the proxy's listener. When present it overrides proxy.listen.");
        var listener = ReadListener(proxy, server);
        var limits = ReadLimits(proxy.Section("limits", "Limits that protect the proxy from bad or hostile clients."), server);
        var forwarding = ReadForwarding(proxy.Section("forwarding", "Headers the proxy adds to forwarded requests."));
        var defaults = ClusterReader.ReadDefaults(root, server);

        var clusters = new List<ClusterOptions>();
        var upstream = root.Section("upstream", "Spec 002 upstream section: the services (clusters) requests are forwarded to.");
        var services = upstream.Map("services", "Upstream services by name; each is a cluster with an implicit route (Host = its name, or every request when it is the only cluster).",
            (r, name) => ClusterReader.Read(r, name, defaults, implicitRoute: true));
        clusters.AddRange(services.Values);
        var named = proxy.Map("clusters", "Clusters by name (same keys as upstream.services entries); reached through proxy.routes.",
            (r, name) => ClusterReader.Read(r, name, defaults, implicitRoute: false));
        foreach (var (name, cluster) in named)
        {
            if (services.ContainsKey(name))
            {
                proxy.Error("clusters", $"cluster '{name}' is also defined in upstream.services; names must be unique");
            }
            else
            {
                clusters.Add(cluster);
            }
        }

        var routes = RouteReader.ReadAll(proxy, clusters);
        return new ProxyOptions(listener, limits, forwarding, routes, clusters, defaults.Breaker)
        {
            Security = Security.SecurityReader.Read(root.Section("security", "Spec 002 security: rate limiting, authentication, authorization and CORS for every route.")),
            AccessLog = AccessLog.AccessLogReader.Read(proxy.Section("access_log", "One JSON line per request (present: on), sampled, written off the request path.")),
            Tracing = Tracing.TracingReader.Read(proxy.Section("tracing", "W3C trace context propagation and spans per request and upstream attempt.")),
            HotReload = Reload.ReloadReader.Read(proxy.Section("hot_reload", "Apply changes of the configuration file while running.")),
        };
    }

    private static ListenerOptions ReadListener(ConfigReader proxy, ConfigReader server)
    {
        var listen = proxy.Address("listen", DefaultListen, "Address the proxy listens on for client traffic.", allowZeroPort: true);
        var bind = server.String("bind_address", "0.0.0.0", "IP address to bind to (spec 002); with port, overrides proxy.listen.");
        var port = server.Port("port", 8000, "Port to listen on (spec 002); with bind_address, overrides proxy.listen.", allowZero: true);
        if (server.Has("bind_address") || server.Has("port"))
        {
            var address = bind.Contains(':', StringComparison.Ordinal) ? $"[{bind}]:{port}" : $"{bind}:{port}";
            if (!HostPort.TryParse(address, out var host, out _, out var problem) || !System.Net.IPAddress.TryParse(host, out _))
            {
                server.Error("bind_address", $"'{bind}' is not an IP address{(problem.Length > 0 ? ": " + problem : "")}");
            }
            else
            {
                listen = address;
            }
        }

        var protocols = proxy.Choice("protocols", "http1_and_http2", "HTTP versions accepted from clients. Without TLS, http1_and_http2 accepts HTTP/1.1 and prior-knowledge h2c.",
            "http1", "http2", "http1_and_http2") switch
        {
            "http1" => HttpProtocols.Http1,
            "http2" => HttpProtocols.Http2,
            _ => HttpProtocols.Http1AndHttp2,
        };
        var tls = ReadListenerTls(server.Has("tls") ? server.Section("tls", "TLS for the listener (spec 002), as proxy.tls.") : proxy.Section("tls", "TLS for the listener: PEM certificate and key. Absent means cleartext."));
        var direct = proxy.Bool("direct_path", true,
            "Serve cleartext HTTP/1.1 requests on routes without policies on Outrigger's own HTTP/1.1 engine instead of Kestrel (docs/direct-path.md); other connections are handed to Kestrel. false: Kestrel serves every request.");
        var directHttp2 = proxy.Bool("direct_http2", true,
            "With direct_path: serve prior-knowledge h2c on Outrigger's own HTTP/2 engine when every route is served directly (docs/direct-http2.md). false: Kestrel serves HTTP/2, as WebSocket over HTTP/2 (extended CONNECT) needs.");
        return new ListenerOptions(listen, protocols, tls) { DirectPath = direct, DirectHttp2 = directHttp2 };
    }

    private static TlsListenerOptions? ReadListenerTls(ConfigReader tls)
    {
        var cert = tls.OptionalString("cert_file", "PEM certificate (chain) file.");
        var key = tls.OptionalString("key_file", "PEM private key file.");
        var termination = Tls.TlsTerminationReader.Read(tls);
        if (!tls.IsPresent || (cert is null && key is null))
        {
            return null;
        }

        if (cert is null || key is null)
        {
            tls.Error("", "both cert_file and key_file are required for TLS");
            return null;
        }

        foreach (var (keyName, file) in new[] { ("cert_file", cert), ("key_file", key) })
        {
            if (!File.Exists(file))
            {
                tls.Error(keyName, $"file '{file}' does not exist");
            }
        }

        return new TlsListenerOptions(cert, key) { Termination = termination };
    }

    private static LimitsOptions ReadLimits(ConfigReader limits, ConfigReader server)
    {
        var maxConnections = limits.Long("max_connections", 0, "Maximum concurrent client connections; 0 = unlimited. server.max_connections (spec 002) sets the same.", 0);
        var specMax = server.Long("max_connections", 0, "Maximum concurrent client connections (spec 002); 0 = unlimited. Overrides proxy.limits.max_connections.", 0);
        if (server.Has("max_connections"))
        {
            maxConnections = specMax;
        }

        return new LimitsOptions(
            maxConnections,
            limits.Int("max_request_header_bytes", 32 * 1024, "Total size of a request's headers; larger requests get 431.", 1024),
            limits.Int("max_request_line_bytes", 8 * 1024, "Size of the HTTP/1.1 request line; longer gets 414.", 256),
            limits.Int("max_request_headers", 100, "Number of request headers; more gets 431.", 1),
            limits.Long("max_request_body_bytes", 0, "Largest request body; larger gets 413. 0 = unlimited (bodies are streamed, never buffered).", 0),
            TimeSpan.FromMilliseconds(limits.Long("request_headers_timeout_ms", 10_000, "Time a client has to send its request headers (slowloris defence); then the connection is closed.", 1)),
            TimeSpan.FromMilliseconds(limits.Long("keep_alive_timeout_ms", 120_000, "How long an idle client connection is kept open.", 1)),
            limits.Double("min_request_body_bytes_per_second", 240, "Slowest accepted upload rate after the grace period; slower clients are disconnected. 0 disables.", 0),
            TimeSpan.FromMilliseconds(limits.Long("min_request_body_grace_ms", 5_000, "Grace period before min_request_body_bytes_per_second applies; more than 1000.", 1001)));
    }

    private static ForwardingOptions ReadForwarding(ConfigReader forwarding) => new(
        forwarding.Bool("x_forwarded", true, "Add X-Forwarded-For (appended), X-Forwarded-Proto and X-Forwarded-Host."),
        forwarding.Bool("via", true, "Add a Via header to requests and responses (RFC 9110 §7.6.3)."),
        forwarding.String("request_id_header", "x-request-id", "Header carrying the request id: kept when the client sent one, generated otherwise. Empty disables."),
        forwarding.Bool("preserve_host", false, "Send the client's Host to the upstream instead of the endpoint's address (the original is always in X-Forwarded-Host)."));
}
