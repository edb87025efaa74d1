using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Reload;

public sealed class ConfigFileWatcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("outrigger-watch-").FullName;
    private readonly List<string> _seen = [];

    private string File => Path.Combine(_dir, "c.yaml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Check_ChangeReportedOnceItStaysTheSameForOneMoreCheck_UnchangedOrMissingFileIgnored()
    {
        System.IO.File.WriteAllText(File, "a");
        await using var watcher = new ConfigFileWatcher(File, TimeSpan.FromHours(1), new ManualTimeProvider(), _seen.Add, NullLogger.Instance);
        watcher.Start();

        watcher.Check();
        Assert.Empty(_seen);

        System.IO.File.WriteAllText(File, "b (being written");
        watcher.Check();
        System.IO.File.WriteAllText(File, "b (written)");
        watcher.Check();
        Assert.Empty(_seen);
        watcher.Check();
        Assert.Equal(["b (written)"], _seen);
        watcher.Check();
        Assert.Single(_seen);

        System.IO.File.Delete(File);
        watcher.Check();
        watcher.Check();
        Assert.Single(_seen);

        // Back to what was applied: nothing to do.
        System.IO.File.WriteAllText(File, "b (written)");
        watcher.Check();
        watcher.Check();
        Assert.Single(_seen);
    }
}
