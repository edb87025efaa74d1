using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Outrigger.Core.Hosting;

/// <summary>
/// The services a bare <c>KestrelServer</c> resolves from <see cref="KestrelServerOptions.ApplicationServices"/>:
/// logging, metrics and the HTTPS configuration that <c>ListenOptions.UseHttps</c> needs, which otherwise only
/// the web-host builder registers. Registered without reflection, so TLS listeners work on every <see cref="HttpServer"/>.
/// </summary>
internal static class KestrelServices
{
    public static ServiceProvider Create(ILoggerFactory loggerFactory)
    {
        var services = new ServiceCollection()
            .AddSingleton(loggerFactory)
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IHostEnvironment>(new MinimalHostEnvironment());
        new ServicesOnlyWebHostBuilder(services).UseKestrelCore().UseKestrelHttpsConfiguration();
        return services.BuildServiceProvider();
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
