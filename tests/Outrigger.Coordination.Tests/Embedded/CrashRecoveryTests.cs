using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Tests.Infrastructure;

namespace Outrigger.Coordination.Tests.Embedded;

/// <summary>Kills a writer process with SIGKILL in the middle of writing, then reopens the store in this process.</summary>
public sealed class CrashRecoveryTests
{
    private const int SnapshotEvery = 300;

    [Fact]
    public async Task KillDashNineMidWrite_ReopenKeepsEveryAcknowledgedWriteAndRestartsLeaseTtl()
    {
        using var directory = new TempDirectory("crash");
        var acknowledged = new Dictionary<string, long>();
        var leases = new List<(long Id, string Key)>();
        for (var round = 0; round < 3; round++)
        {
            var (acks, lease) = await RunWriterAndKillAsync(directory.Path, round, killAfter: 400 + (round * 500));
            foreach (var (key, revision) in acks)
            {
                acknowledged.Add(key, revision);
            }

            leases.Add(lease);
            await VerifyAsync(directory.Path, acknowledged, leases);
        }

        Assert.True(acknowledged.Count >= 2700, $"only {acknowledged.Count} writes were acknowledged");
        Assert.Single(Directory.GetFiles(directory.Path, "snap-*.snap"));
    }

    private static async Task VerifyAsync(string directory, Dictionary<string, long> acknowledged, List<(long Id, string Key)> leases)
    {
        var time = new FakeTimeProvider();
        await using var store = CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = directory, SnapshotEvery = SnapshotEvery, HistoryRetention = 0 }, time, NullLoggerFactory.Instance);
        var all = await store.RangeAsync(KeyRange.All);
        var byKey = all.Kvs.ToDictionary(kv => kv.Key);
        foreach (var (key, revision) in acknowledged)
        {
            Assert.True(byKey.TryGetValue(key, out var kv), $"acknowledged write {key}@{revision} was lost");
            Assert.Equal(revision, kv.ModRevision);
            Assert.Equal(CrashWriter.ValueFor(key), kv.Value.ToArray());
        }

        Assert.True(all.Revision >= acknowledged.Values.Max());
        foreach (var (id, key) in leases)
        {
            var lease = await store.GetLeaseAsync(id);
            Assert.NotNull(lease);
            Assert.Equal(CrashWriter.LeaseTtl, lease.Remaining);
            Assert.Equal(new[] { key }, lease.Keys);
        }

        var history = await store.WatchAsync(KeyRange.All, 2);
        await using var _ = history;
        var events = await Wait.EventsAsync(history, 1);
        Assert.Equal(2, events[0].Kv.ModRevision);
    }

    private static async Task<(List<(string Key, long Revision)> Acks, (long Id, string Key) Lease)> RunWriterAndKillAsync(string directory, int round, int killAfter)
    {
        var start = new ProcessStartInfo(DotnetHost(), [typeof(CrashWriter).Assembly.Location, "crash-writer", directory, round.ToString(CultureInfo.InvariantCulture), SnapshotEvery.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var acks = new List<(string, long)>();
        (long, string)? lease = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                var parts = line.Split(' ');
                if (parts is ["lease", var id, var leasedKey, _, "."])
                {
                    lease = (long.Parse(id, CultureInfo.InvariantCulture), leasedKey);
                }
                else if (parts is ["ack", var key, var revision, "."])
                {
                    acks.Add((key, long.Parse(revision, CultureInfo.InvariantCulture)));
                    if (acks.Count == killAfter)
                    {
                        process.Kill();
                    }
                }
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
        }

        Assert.True(acks.Count >= killAfter, $"the writer stopped after {acks.Count} writes: {await process.StandardError.ReadToEndAsync()}");
        Assert.Equal(137, process.ExitCode);
        return (acks, lease ?? throw new InvalidOperationException("the writer printed no lease"));
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
