using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Client;
using Outrigger.Coordination;
using Outrigger.Coordination.Embedded;
using Outrigger.Core.Admin;
using Outrigger.Core.Configuration;
using Outrigger.Core.Hosting;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Hosting;
using Outrigger.Workflows.Management;
using WorkflowBench;

// WorkflowBench MODE CONCURRENCY SECONDS CHECKPOINTS [ETCD_URL]
//   MODE: sidecar (the app is a C# SDK client over the gRPC stream) | embedded (a C# handler drives the engine in-process)
//   ETCD_URL: use the etcd backend at this client URL instead of the embedded store
// Runs workflows of CHECKPOINTS checkpoints, CONCURRENCY at a time, for SECONDS; prints one tab-separated line:
//   mode concurrency workflows workflows/s checkpoint-p50-ms checkpoint-p99-ms cpu-ms-per-workflow
// (CPU: this process's user+system time over the run divided by the workflows: on a shared, loaded machine it moves
// far less than wall-clock rates do, so it shows what a change to the stream path costs or saves)
var mode = args[0];
var concurrency = int.Parse(args[1], CultureInfo.InvariantCulture);
var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
var checkpoints = int.Parse(args[3], CultureInfo.InvariantCulture);
var etcd = args.Length > 4 ? args[4] : null;
var directory = Path.Combine(Path.GetTempPath(), $"outrigger-wfbench-{Guid.NewGuid():N}");
Directory.CreateDirectory(directory);
var latencies = new Latencies();
try
{
    var result = mode switch
    {
        "embedded" => await Embedded.RunAsync(directory, etcd, concurrency, seconds, checkpoints, latencies),
        "sidecar" => await Sidecar.RunAsync(directory, etcd, concurrency, seconds, checkpoints, latencies),
        _ => throw new ArgumentException("mode is sidecar or embedded"),
    };
    var cpuPerWorkflow = result.Cpu.TotalMilliseconds / Math.Max(1, result.Workflows);
    Console.WriteLine(string.Join('\t', mode + (etcd is null ? "/embedded-store" : "/etcd"), concurrency, result.Workflows, (result.Workflows / result.Elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture),
        latencies.Percentile(0.50).ToString("F3", CultureInfo.InvariantCulture), latencies.Percentile(0.99).ToString("F3", CultureInfo.InvariantCulture), cpuPerWorkflow.ToString("F2", CultureInfo.InvariantCulture)));
}
finally
{
    Directory.Delete(directory, recursive: true);
}

namespace WorkflowBench
{
    internal sealed record RunResult(int Workflows, TimeSpan Elapsed, TimeSpan Cpu);

    /// <summary>Checkpoint latencies in milliseconds (from the checkpoint call to its committed value), from every workflow.</summary>
    internal sealed class Latencies
    {
        private readonly List<double> _values = [];

        public void Clear()
        {
            lock (_values)
            {
                _values.Clear();
            }
        }

        public void Add(TimeSpan elapsed)
        {
            lock (_values)
            {
                _values.Add(elapsed.TotalMilliseconds);
            }
        }

        public double Percentile(double p)
        {
            lock (_values)
            {
                _values.Sort();
                return _values.Count == 0 ? double.NaN : _values[Math.Min(_values.Count - 1, (int)(p * _values.Count))];
            }
        }
    }

    /// <summary>
    /// Keeps <c>concurrency</c> workflows in flight, started and awaited through the engine: a one-second warm-up (JIT,
    /// connections; not counted), then the measured duration.
    /// </summary>
    internal static class Driver
    {
        public static async Task<RunResult> RunAsync(WorkflowDirectory workflows, int concurrency, double seconds, int checkpoints, Latencies latencies)
        {
            await RunForAsync(workflows, concurrency, TimeSpan.FromSeconds(1), checkpoints);
            latencies.Clear();
            var cpu = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            var done = await RunForAsync(workflows, concurrency, TimeSpan.FromSeconds(seconds), checkpoints);
            return new RunResult(done, clock.Elapsed, Environment.CpuUsage.TotalTime - cpu);
        }

        private static async Task<int> RunForAsync(WorkflowDirectory workflows, int concurrency, TimeSpan deadline, int checkpoints)
        {
            var input = Encoding.UTF8.GetBytes(checkpoints.ToString(CultureInfo.InvariantCulture));
            var clock = Stopwatch.StartNew();
            var done = 0;
            var workers = Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (clock.Elapsed < deadline)
                {
                    var (view, _) = await workflows.StartAsync("bench", 1, input, null, CancellationToken.None);
                    var finished = await workflows.WaitAsync(view.Id, TimeSpan.FromSeconds(60), CancellationToken.None);
                    if (!finished.IsFinished)
                    {
                        throw new InvalidOperationException($"workflow {view.Id} did not finish");
                    }

                    Interlocked.Increment(ref done);
                }
            });
            await Task.WhenAll(workers);
            return done;
        }
    }

    /// <summary>The app is the C# SDK over the gRPC stream of the module on real loopback sockets.</summary>
    internal static class Sidecar
    {
        public static async Task<RunResult> RunAsync(string directory, string? etcd, int concurrency, double seconds, int checkpoints, Latencies latencies)
        {
            var yaml = $"workflows:\n  pod_name: bench\n  storage_path: {directory}\n  sidecar_listen: 127.0.0.1:0\n  node_listen: 127.0.0.1:0\n  replicas: 1\n";
            if (etcd is not null)
            {
                yaml += $"  coordination:\n    backend: etcd\n    etcd:\n      endpoints: {etcd}\n";
            }

            var session = new ConfigReadSession();
            var options = (WorkflowsOptions)new WorkflowsModuleDefinition().ReadOptions(session.Root(YamlConfigParser.Parse(yaml, "bench"), new ConfigOutline()));
            await using var module = new WorkflowsModule(options, new ModuleContext(NullLoggerFactory.Instance, TimeProvider.System, new AdminRoutes(), directory));
            await module.StartAsync(CancellationToken.None);
            await using var client = await WorkflowClient.ConnectAsync($"http://{module.SidecarEndPoint}");
            client.RegisterWorkflow("bench", 1, async (ctx, input) =>
            {
                var count = int.Parse(Encoding.UTF8.GetString(input.Span), CultureInfo.InvariantCulture);
                for (var i = 0; i < count; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await ctx.CheckpointBytesAsync($"step-{i}", () => Task.FromResult(BitConverter.GetBytes(i)), everywhere: false);
                    latencies.Add(Stopwatch.GetElapsedTime(started));
                }

                return "1"u8.ToArray();
            });
            using var stop = new CancellationTokenSource();
            var run = client.RunAsync(stop.Token);
            await client.Registered;
            var result = await Driver.RunAsync(new WorkflowDirectory(module.Engine!), concurrency, seconds, checkpoints, latencies);
            await stop.CancelAsync();
            await run;
            await module.StopAsync(CancellationToken.None);
            return result;
        }
    }
}
