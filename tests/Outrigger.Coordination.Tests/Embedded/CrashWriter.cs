using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Coordination.Tests.Embedded;

/// <summary>
/// The writer process of the crash test: opens the store, attaches a key to a lease, then puts keys from 8 concurrent
/// writers forever, printing <c>ack KEY REVISION .</c> after each acknowledged put. The test kills it with SIGKILL.
/// </summary>
internal static class CrashWriter
{
    public const int Writers = 8;
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(30);

    /// <summary>The value written for a key: its own bytes repeated to a length between 16 and ~3000 bytes.</summary>
    public static byte[] ValueFor(string key)
    {
        var length = 16 + (int)((uint)StableHash(key) % 3000);
        var seed = Encoding.UTF8.GetBytes(key);
        var value = new byte[length];
        for (var i = 0; i < length; i++)
        {
            value[i] = seed[i % seed.Length];
        }

        return value;
    }

    public static async Task RunAsync(string directory, string round, int snapshotEvery)
    {
        var store = CoordinationStore.OpenEmbedded(
            new Coordination.Embedded.EmbeddedStoreOptions { Directory = directory, SnapshotEvery = snapshotEvery, HistoryRetention = 0 },
            TimeProvider.System,
            NullLoggerFactory.Instance);
        var lease = await store.GrantLeaseAsync(LeaseTtl);
        var leased = await store.PutAsync($"r{round}/leased", ValueFor($"r{round}/leased"), lease.Id);
        Console.WriteLine($"lease {lease.Id} r{round}/leased {leased.Revision} .");
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"r{round}/w{w}/{i:D7}");
                var put = await store.PutAsync(key, ValueFor(key));
                Console.WriteLine($"ack {key} {put.Revision} .");
            }
        })));
    }

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = (hash * 31) + c;
        }

        return hash;
    }
}
