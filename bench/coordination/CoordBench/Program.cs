using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination;
using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Etcd;

// Coordination store benchmark (driven by ../run.sh):
//   CoordBench ports N                                   prints N free TCP ports on 127.0.0.1
//   CoordBench report DIR ENDPOINTS SECONDS WRITERS,...  raw fsync rate of DIR's disk, then puts/s and commit latency
//                                                        of the embedded store (in DIR) and of etcd (ENDPOINTS), as markdown
var inv = CultureInfo.InvariantCulture;
switch (args)
{
    case ["ports", var count]:
        Console.WriteLine(string.Join(' ', Bench.FreePorts(int.Parse(count, inv))));
        return 0;
    case ["report", var dir, var endpoints, var seconds, var writers]:
        var report = await Bench.ReportAsync(dir, endpoints.Split(',').Select(e => new Uri(e)).ToArray(), TimeSpan.FromSeconds(double.Parse(seconds, inv)), writers.Split(',').Select(w => int.Parse(w, inv)).ToArray());
        Console.Write(report);
        return 0;
    default:
        Console.Error.WriteLine("usage: CoordBench ports N | report DIR ENDPOINTS SECONDS WRITERS,...");
        return 2;
}

internal sealed record BenchResult(long Operations, TimeSpan Elapsed, double P50Ms, double P99Ms, long Fsyncs)
{
    public double Rate => Operations / Elapsed.TotalSeconds;

    public double FsyncRate => Fsyncs / Elapsed.TotalSeconds;
}

internal static class Bench
{
    private static readonly byte[] Value = new byte[128];

    public static async Task<string> ReportAsync(string directory, Uri[] etcd, TimeSpan duration, int[] writerCounts)
    {
        var inv = CultureInfo.InvariantCulture;
        var probe = TimeSpan.FromSeconds(Math.Max(1, duration.TotalSeconds / 2));
        var raw = new Dictionary<int, BenchResult>();
        var embedded = new Dictionary<int, BenchResult>();
        var remote = new Dictionary<int, BenchResult>();
        foreach (var writers in writerCounts)
        {
            var before = RawFsync(directory, probe);
            embedded[writers] = await EmbeddedAsync(directory, writers, duration);
            raw[writers] = Combine(before, RawFsync(directory, probe));
            remote[writers] = await EtcdAsync(etcd, writers, duration);
        }

        var text = new StringBuilder();
        text.AppendLine("| backend | writers | puts/s | p50 commit ms | p99 commit ms | fsyncs/s | puts per fsync |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var writers in writerCounts)
        {
            text.AppendLine(Row("raw fsync (1 thread, 128 B append + fsync)", 1, raw[writers], "probed just before and after"));
            text.AppendLine(Row("embedded", writers, embedded[writers], "of its log"));
            text.AppendLine(Row("etcd, 3 members", writers, remote[writers], "per member"));
        }

        text.AppendLine();
        text.AppendLine("| writers | embedded ÷ etcd (puts/s) | embedded puts/s ÷ raw fsync/s | embedded fsyncs/s ÷ raw fsync/s |");
        text.AppendLine("|---:|---:|---:|---:|");
        foreach (var writers in writerCounts)
        {
            var e = embedded[writers];
            text.AppendLine(inv, $"| {writers} | {e.Rate / remote[writers].Rate:F2} | {e.Rate / raw[writers].Rate:F2} | {e.FsyncRate / raw[writers].Rate:F2} |");
        }

        return text.ToString();
    }

    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static string Row(string backend, int writers, BenchResult r, string fsyncNote)
    {
        var inv = CultureInfo.InvariantCulture;
        var fsyncs = r.Fsyncs > 0 ? r.FsyncRate.ToString("F0", inv) + $" ({fsyncNote})" : "n/a";
        var perFsync = r.Fsyncs > 0 ? (r.Operations / (double)r.Fsyncs).ToString("F1", inv) : "n/a";
        return string.Create(inv, $"| {backend} | {writers} | {r.Rate:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {fsyncs} | {perFsync} |");
    }

    /// <summary>The disk's limit: one thread appending 128 bytes and fsyncing, as fast as it can.</summary>
    private static BenchResult RawFsync(string directory, TimeSpan duration)
    {
        var path = Path.Combine(directory, "fsync-probe");
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                file.Write(Value);
                file.Flush(flushToDisk: true);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        clock.Stop();
        File.Delete(path);
        return Summarise(latencies, clock.Elapsed, latencies.Count);
    }

    private static async Task<BenchResult> EmbeddedAsync(string directory, int writers, TimeSpan duration)
    {
        var dir = Path.Combine(directory, $"embedded-{writers}");
        var store = CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = dir }, TimeProvider.System, NullLoggerFactory.Instance);
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
        BenchResult result;
        await using (store)
        {
            result = await PutsAsync(store, writers, duration, () => Task.FromResult(Interlocked.Read(ref fsyncs)));
        }

        Directory.Delete(dir, recursive: true);
        return result;
    }

    private static async Task<BenchResult> EtcdAsync(Uri[] endpoints, int writers, TimeSpan duration)
    {
        await using var store = CoordinationStore.OpenEtcd(new EtcdStoreOptions { Endpoints = endpoints }, TimeProvider.System, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        return await PutsAsync(store, writers, duration, () => EtcdFsyncsPerMemberAsync(http, endpoints));
    }

    /// <summary>Average over the members of etcd's own WAL fsync counter (etcd_disk_wal_fsync_duration_seconds_count on /metrics).</summary>
    private static async Task<long> EtcdFsyncsPerMemberAsync(HttpClient http, Uri[] endpoints)
    {
        long total = 0;
        foreach (var endpoint in endpoints)
        {
            var metrics = await http.GetStringAsync(new Uri(endpoint, "/metrics"));
            var line = metrics.Split('\n').First(l => l.StartsWith("etcd_disk_wal_fsync_duration_seconds_count ", StringComparison.Ordinal));
            total += (long)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        }

        return total / endpoints.Length;
    }

    /// <summary>Runs <paramref name="writers"/> concurrent put loops for <paramref name="duration"/> after a 1 s warm-up.</summary>
    private static async Task<BenchResult> PutsAsync(ICoordinationStore store, int writers, TimeSpan duration, Func<Task<long>> fsyncCounter)
    {
        await RunWritersAsync(store, writers, TimeSpan.FromSeconds(1), "warmup", null);
        var fsyncsBefore = await fsyncCounter();
        var latencies = new List<double>[writers];
        var clock = Stopwatch.StartNew();
        await RunWritersAsync(store, writers, duration, "run", latencies);
        clock.Stop();
        return Summarise(latencies.SelectMany(l => l).ToList(), clock.Elapsed, await fsyncCounter() - fsyncsBefore);
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

    /// <summary>Two probes as one: total fsyncs over total time; latency percentiles of the slower one.</summary>
    private static BenchResult Combine(BenchResult a, BenchResult b) =>
        new(a.Operations + b.Operations, a.Elapsed + b.Elapsed, Math.Max(a.P50Ms, b.P50Ms), Math.Max(a.P99Ms, b.P99Ms), a.Fsyncs + b.Fsyncs);

    private static BenchResult Summarise(List<double> latencies, TimeSpan elapsed, long fsyncs)
    {
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        return new BenchResult(latencies.Count, elapsed, Percentile(0.50), Percentile(0.99), fsyncs);
    }
}
