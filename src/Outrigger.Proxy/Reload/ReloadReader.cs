using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Reload;

/// <summary>Reads <c>proxy.hot_reload</c>.</summary>
internal static class ReloadReader
{
    public static ReloadOptions Read(ConfigReader reload)
    {
        var defaults = ReloadOptions.Default;
        return new ReloadOptions(
            reload.Bool("enabled", defaults.Enabled, "Watch the --config file and apply valid changes to routes, clusters, endpoints, policies and certificates without a restart."),
            TimeSpan.FromMilliseconds(reload.Long("interval_ms", (long)defaults.Interval.TotalMilliseconds, "How often the file is checked for changes.", 50)),
            TimeSpan.FromMilliseconds(reload.Long("drain_ms", (long)defaults.DrainDelay.TotalMilliseconds, "How long what a replaced configuration held alone (clusters, rate limiters) is kept for requests that started on it.", 0)));
    }
}
