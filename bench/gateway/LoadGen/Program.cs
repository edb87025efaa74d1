// Closed-loop load generator for bench/gateway: N concurrent callers submit one transaction per call, either through
// the gateway (knhk.sidecar.v1.KgcSidecar/SubmitTransaction) or straight to the orchestrator
// (knhk.warm.v1.WarmOrchestrator/SubmitBatch with one item). Prints one JSON line of results.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;

var options = Args.Parse(args);
var sidecar = new Method<Transaction, TransactionResponse>(MethodType.Unary, "knhk.sidecar.v1.KgcSidecar", "SubmitTransaction", Transaction.Parser, TransactionResponse.Parser);
var direct = new Method<BatchRequest, BatchResponse>(MethodType.Unary, "knhk.warm.v1.WarmOrchestrator", "SubmitBatch", BatchRequest.Parser, BatchResponse.Parser);
using var channel = GrpcChannel.ForAddress(options.Target);
var run = $"{options.Mode}-{options.Concurrency}-{Stopwatch.GetTimestamp()}";

// Warm-up: connections, JIT, the orchestrator's first fsync.
await RunAsync(TimeSpan.FromSeconds(1), record: false);
var (latencies, ticks, errors, elapsed) = await RunAsync(TimeSpan.FromSeconds(options.Seconds), record: true);

latencies.Sort();
var count = latencies.Count;
var result = new JsonObject
{
    ["mode"] = options.Mode,
    ["concurrency"] = options.Concurrency,
    ["transactions"] = count,
    ["errors"] = errors,
    ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
    ["tps"] = Math.Round(count / elapsed.TotalSeconds, 1),
    ["p50_ms"] = Math.Round(Percentile(latencies, 0.50), 2),
    ["p99_ms"] = Math.Round(Percentile(latencies, 0.99), 2),
    ["upstream_rpcs"] = options.Mode == "direct" ? count : ticks.Count,
    ["upstream_rpcs_per_tx"] = count == 0 ? null : Math.Round((options.Mode == "direct" ? count : ticks.Count) / (double)count, 4),
};
Console.WriteLine(result.ToJsonString());
return errors > 0 && count == 0 ? 1 : 0;

async Task<(List<double> Latencies, HashSet<uint> Ticks, long Errors, TimeSpan Elapsed)> RunAsync(TimeSpan duration, bool record)
{
    var started = Stopwatch.GetTimestamp();
    var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var workers = Enumerable.Range(0, options.Concurrency).Select(w => Task.Run(() => WorkerAsync(w, deadline))).ToArray();
    var results = await Task.WhenAll(workers);
    var elapsed = Stopwatch.GetElapsedTime(started);
    var latencies = new List<double>();
    var ticks = new HashSet<uint>();
    long errors = 0;
    foreach (var (l, t, e) in results)
    {
        latencies.AddRange(l);
        ticks.UnionWith(t);
        errors += e;
    }

    return record ? (latencies, ticks, errors, elapsed) : ([], [], 0, elapsed);
}

async Task<(List<double>, HashSet<uint>, long)> WorkerAsync(int worker, long deadline)
{
    var latencies = new List<double>();
    var ticks = new HashSet<uint>();
    long errors = 0;
    for (ulong i = 0; Stopwatch.GetTimestamp() < deadline; i++)
    {
        var tx = new Transaction { Actor = "bench", Additions = { new Triple { Subject = (ulong)worker + 1, Predicate = 7, Object = i } } };
        var start = Stopwatch.GetTimestamp();
        try
        {
            var receipt = options.Mode == "direct"
                ? (await channel.AsyncUnaryCall(direct, new BatchRequest { Items = { new BatchItem { IdempotencyKey = $"{run}-{worker}-{i}", Transaction = tx } } })).Results[0].Receipt
                : (await channel.AsyncUnaryCall(sidecar, tx)).Receipt;
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            ticks.Add(receipt.Ticks);
        }
        catch (RpcException)
        {
            errors++;
        }
    }

    return (latencies, ticks, errors);
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

internal sealed record Args(string Target, string Mode, int Concurrency, double Seconds)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var mode = Get("mode", "sidecar");
        if (mode is not ("sidecar" or "direct"))
        {
            throw new ArgumentException("--mode is sidecar or direct");
        }

        return new Args(
            Get("target", "http://127.0.0.1:50051"),
            mode,
            int.Parse(Get("concurrency", "8"), CultureInfo.InvariantCulture),
            double.Parse(Get("seconds", "5"), CultureInfo.InvariantCulture));
    }
}
