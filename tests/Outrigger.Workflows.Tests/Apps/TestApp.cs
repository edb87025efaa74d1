using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using Outrigger.Client;
using Outrigger.Workflows.Tests.Infrastructure;

namespace Outrigger.Workflows.Tests.Apps;

/// <summary>
/// A C# app on the SDK with the test workflows (the same as Apps/test_app.py):
/// <c>ping_pong</c> v1 ("ping" → checkpoint "result" → "pong"), <c>counter</c> v1 (<c>{"n", "delay_ms"}</c>: n
/// owner-only checkpoints, result the sum), <c>big</c> v1 (input n: one checkpoint of n bytes) and <c>fail</c> v1 (throws). Every checkpoint value it returns and every
/// computation it makes are appended to <c>--log</c>, so tests can compare what each app saw.
/// </summary>
internal static class TestApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var log = new AppLog(Args.Get(args, "log"));
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        await using var client = await WorkflowClient.ConnectAsync(Args.Get(args, "sidecar"), new WorkflowClientOptions { HeartbeatInterval = TimeSpan.FromSeconds(1) }, stop.Token);
        Register(client, log);
        var run = client.RunAsync(stop.Token);
        await client.Registered.WaitAsync(stop.Token);
        Console.WriteLine("REGISTERED");
        await run;
        return 0;
    }

    public static void Register(WorkflowClient client, AppLog log)
    {
        client.RegisterWorkflow("ping_pong", 1, async (ctx, input) =>
            await ctx.Checkpoint("result", () => input == "ping" ? "pong" : "ping", TestJson.Default.String), TestJson.Default.String, TestJson.Default.String);

        client.RegisterWorkflow("counter", 1, async (ctx, input) =>
        {
            var sum = 0;
            for (var i = 0; i < input.N; i++)
            {
                var step = i;
                var value = await ctx.CheckpointCompute($"step-{i}", async () =>
                {
                    log.Write($"compute {ctx.WorkflowId} step-{step}");
                    if (input.DelayMs > 0)
                    {
                        await Task.Delay(input.DelayMs, ctx.CancellationToken);
                    }

                    return step * 10;
                }, TestJson.Default.Int32);
                log.Write($"cp {ctx.WorkflowId} step-{step} {value}");
                sum += value;
            }

            return sum;
        }, TestJson.Default.CounterInput, TestJson.Default.Int32);

        client.RegisterWorkflow("big", 1, async (ctx, size) =>
            (await ctx.Checkpoint("blob", () => new string('x', size), TestJson.Default.String)).Length, TestJson.Default.Int32, TestJson.Default.Int32);

        client.RegisterWorkflow<string, string>("fail", 1, (_, input) => throw new InvalidOperationException($"failing on purpose: {input}"), TestJson.Default.String, TestJson.Default.String);
    }
}

internal sealed record CounterInput(int N, int DelayMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CounterInput))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>Appends lines to a file shared with the test (one write per line, flushed).</summary>
internal sealed class AppLog(string path)
{
    private readonly Lock _lock = new();

    public void Write(string line)
    {
        lock (_lock)
        {
            File.AppendAllText(path, line + "\n");
        }
    }
}
