using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination;
using Outrigger.Coordination.Embedded;

// Coordination store benchmark: puts/s and commit latency for N concurrent writers, plus the disk's raw fsync rate.
// Usage:
//   CoordBench fsync DIR SECONDS
//   CoordBench embedded DIR SECONDS WRITERS[,WRITERS...]
//   CoordBench etcd ENDPOINTS SECONDS WRITERS[,WRITERS...]
// Prints one markdown table row per run: | backend | writers | puts/s | p50 ms | p99 ms | fsyncs/s | puts per fsync |
var inv = CultureInfo.InvariantCulture;
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: CoordBench fsync DIR SECONDS | embedded DIR SECONDS WRITERS,... | etcd ENDPOINTS SECONDS WRITERS,...");
    return 2;
}

var duration = TimeSpan.FromSeconds(double.Parse(args[2], inv));
switch (args[0])
{
    case "fsync":
        Console.WriteLine(Bench.RawFsync(args[1], duration).Row("raw fsync (128 B append + fsync)", 1));
        return 0;
    case "embedded":
        foreach (var writers in Bench.WriterCounts(args[3]))
        {
            var dir = Path.Combine(args[1], $"embedded-{writers}");
            var store = CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = dir }, TimeProvider.System, NullLoggerFactory.Instance);
            await using (store)
            {
                var result = await Bench.PutsAsync(store, writers, duration);
                Console.WriteLine(result.Row("embedded", writers));
            }

            Directory.Delete(dir, recursive: true);
        }

        return 0;
    default:
        Console.Error.WriteLine($"unknown mode {args[0]}");
        return 2;
}

internal sealed record BenchResult(long Operations, TimeSpan Elapsed, double P50Ms, double P99Ms, long Fsyncs)
{
    public string Row(string name, int writers)
    {
        var inv = CultureInfo.InvariantCulture;
        var rate = Operations / Elapsed.TotalSeconds;
        var fsyncs = Fsyncs < 0 ? "n/a" : (Fsyncs / Elapsed.TotalSeconds).ToString("F0", inv);
        var perFsync = Fsyncs <= 0 ? "n/a" : ((double)Operations / Fsyncs).ToString("F1", inv);
        return string.Create(inv, $"| {name} | {writers} | {rate:F0} | {P50Ms:F2} | {P99Ms:F2} | {fsyncs} | {perFsync} |");
    }
}

internal static class Bench
{
    private static readonly byte[] Value = new byte[128];

    public static IEnumerable<int> WriterCounts(string list) => list.Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture));

    /// <summary>The disk's limit: one thread appending 128 bytes and fsyncing, as fast as it can.</summary>
    public static BenchResult RawFsync(string directory, TimeSpan duration)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "fsync-probe");
        var latencies = new List<double>();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                file.Write(Value);
                file.Flush(flushToDisk: true);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            clock.Stop();
            File.Delete(path);
            return Summarise(latencies, clock.Elapsed, latencies.Count);
        }
    }

    /// <summary>Runs <paramref name="writers"/> concurrent put loops for <paramref name="duration"/> after a 1 s warm-up.</summary>
    public static async Task<BenchResult> PutsAsync(ICoordinationStore store, int writers, TimeSpan duration)
    {
        await RunWritersAsync(store, writers, TimeSpan.FromSeconds(1), "warmup", null);
        long fsyncs = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Outrigger.Coordination" && instrument.Name == "coordination_commit_batch_size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, _, _, _) => Interlocked.Increment(ref fsyncs));
        listener.Start();
        var latencies = new List<double>[writers];
        var clock = Stopwatch.StartNew();
        await RunWritersAsync(store, writers, duration, "run", latencies);
        clock.Stop();
        var all = latencies.SelectMany(l => l).ToList();
        return Summarise(all, clock.Elapsed, Interlocked.Read(ref fsyncs) is var f && f > 0 ? f : -1);
    }

    private static async Task RunWritersAsync(ICoordinationStore store, int writers, TimeSpan duration, string phase, List<double>[]? latencies)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = new List<double>();
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await store.PutAsync(string.Create(CultureInfo.InvariantCulture, $"/bench/{phase}/{w}/{i % 1000}"), Value);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            if (latencies is not null)
            {
                latencies[w] = mine;
            }
        })));
    }

    private static BenchResult Summarise(List<double> latencies, TimeSpan elapsed, long fsyncs)
    {
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        return new BenchResult(latencies.Count, elapsed, Percentile(0.50), Percentile(0.99), fsyncs);
    }
}
