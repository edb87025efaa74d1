using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Admin;
using Outrigger.Core.Hosting;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>A started proxy module on a free port, built from YAML (the proxy section's listen is forced to 127.0.0.1:0).</summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    private ProxyHost(ProxyModule module, AdminRoutes admin)
    {
        Module = module;
        Admin = admin;
    }

    public ProxyModule Module { get; }

    public AdminRoutes Admin { get; }

    public int Port => Module.EndPoints[0].Port;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <param name="yaml">The configuration.</param>
    /// <param name="time">The clock (default: the system's).</param>
    /// <param name="loggerFactory">Logs (default: <see cref="DefaultLoggerFactory"/>).</param>
    /// <param name="configFile">The file the proxy is told it was started with (hot reload watches it).</param>
    public static async Task<ProxyHost> StartAsync(string yaml, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, string? configFile = null)
    {
        var options = TestConfig.Read(yaml);
        if (options.Listener.Address == Proxy.Configuration.ProxyOptionsReader.DefaultListen)
        {
            options = options with { Listener = options.Listener with { Address = "127.0.0.1:0" } };
        }

        var admin = new AdminRoutes();
        var context = new ModuleContext(loggerFactory ?? DefaultLoggerFactory(), time ?? TimeProvider.System, admin, Path.GetTempPath(), configFile);
        var module = (ProxyModule)new ProxyModuleDefinition().Create(options, context);
        await module.StartAsync(CancellationToken.None);
        return new ProxyHost(module, admin);
    }

    /// <summary>Console logs when OUTRIGGER_TEST_LOG is set (for debugging a failing test), nothing otherwise.</summary>
    public static ILoggerFactory DefaultLoggerFactory() => Environment.GetEnvironmentVariable("OUTRIGGER_TEST_LOG") is { Length: > 0 }
        ? LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug))
        : NullLoggerFactory.Instance;

    public HttpClient CreateClient(Version? version = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    public async Task<string> AdminGetAsync(string path)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        await Admin.Find(path)!.Handler(context);
        return System.Text.Encoding.UTF8.GetString(body.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Module.StopAsync(cts.Token);
        await Module.DisposeAsync();
    }

    public static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);
}
