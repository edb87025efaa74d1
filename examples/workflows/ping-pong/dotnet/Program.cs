// The ping_pong workflow of spec 003 as a C# app: input "ping" -> checkpoint "result" -> "pong".
// The sidecar URL comes from RAFTORAL_SIDECAR_URL (default http://127.0.0.1:9001). Stop with Ctrl+C or SIGTERM.
using System.Runtime.InteropServices;
using Outrigger.Client;

var url = Environment.GetEnvironmentVariable("RAFTORAL_SIDECAR_URL") ?? "http://127.0.0.1:9001";
using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

await using var client = await WorkflowClient.ConnectAsync(url, cancellationToken: stop.Token);
client.RegisterWorkflow<string, string>("ping_pong", 1, async (ctx, input) =>
    await ctx.Checkpoint("result", () => input == "ping" ? "pong" : "ping"));

var run = client.RunAsync(stop.Token);
await client.Registered.WaitAsync(stop.Token);
Console.WriteLine($"ping-pong (C#) registered ping_pong v1 with the sidecar at {url}");
await run;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
