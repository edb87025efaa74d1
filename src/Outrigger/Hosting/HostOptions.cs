using Outrigger.Core.Configuration;

namespace Outrigger.Hosting;

/// <summary>The host's own keys: admin server, shutdown and data folder.</summary>
internal sealed record HostOptions(string AdminAddress, TimeSpan DrainTimeout, string DataDirectory)
{
    public static HostOptions Read(ConfigReader root)
    {
        var admin = root.Section("admin", "The admin HTTP server: /health, /ready, /metrics, /config, /modules, /logging.");
        var address = admin.Address("address", "127.0.0.1:9901", "Listen address. Keep it on loopback unless the port is protected; port 0 picks a free one.");
        var shutdown = root.Section("shutdown", "Graceful shutdown on SIGTERM/SIGINT (a second signal exits at once).");
        var drainMs = shutdown.Int("drain_timeout_ms", 15000, "How long in-flight work may take to finish before it is aborted.", min: 0, max: 600_000);
        var dataDir = root.String("data_dir", "outrigger-data", "Folder for durable state (embedded store, write-ahead logs); relative to the working directory.");
        return new HostOptions(address, TimeSpan.FromMilliseconds(drainMs), dataDir);
    }
}
