using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Outrigger.Grpc.Hosting;

/// <summary>
/// Makes <c>ListenOptions.UseHttps</c> work on a bare <c>KestrelServer</c> (as <c>Outrigger.Core.Hosting.HttpServer</c>
/// builds one): Kestrel resolves its HTTPS configuration service from <see cref="KestrelServerOptions.ApplicationServices"/>,
/// which only the web-host builder registers. Pass <see cref="Enable"/> as <c>HttpServer.StartAsync</c>'s
/// <c>configure</c> argument when a listener uses TLS.
/// </summary>
public static class KestrelTls
{
    public static void Enable(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loggerFactory = options.ApplicationServices?.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var services = new ServiceCollection()
            .AddSingleton(loggerFactory)
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IHostEnvironment>(new MinimalHostEnvironment());
        var builder = new ServicesOnlyWebHostBuilder(services);
        builder.UseKestrelCore().UseKestrelHttpsConfiguration();
        options.ApplicationServices = services.BuildServiceProvider();
    }

    private sealed class MinimalHostEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;

        public string ApplicationName { get; set; } = "outrigger";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    /// <summary>Runs <c>ConfigureServices</c> callbacks against one collection; nothing else of a web host.</summary>
    private sealed class ServicesOnlyWebHostBuilder(IServiceCollection services) : IWebHostBuilder
    {
#pragma warning disable ASPDEPR008 // IWebHostBuilder's contract still names IWebHost; this builder never builds one.
        public IWebHost Build() => throw new NotSupportedException();
#pragma warning restore ASPDEPR008

        public IWebHostBuilder ConfigureAppConfiguration(Action<WebHostBuilderContext, IConfigurationBuilder> configureDelegate) => this;

        public IWebHostBuilder ConfigureServices(Action<IServiceCollection> configureServices)
        {
            configureServices(services);
            return this;
        }

        public IWebHostBuilder ConfigureServices(Action<WebHostBuilderContext, IServiceCollection> configureServices)
        {
            configureServices(new WebHostBuilderContext { Configuration = new ConfigurationBuilder().Build() }, services);
            return this;
        }

        public string? GetSetting(string key) => null;

        public IWebHostBuilder UseSetting(string key, string? value) => this;
    }
}
