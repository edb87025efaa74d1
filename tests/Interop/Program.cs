using Microsoft.Extensions.Logging;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Outrigger.Interop;

// Server: --port=N [--use_tls=true]. Client: --server_host=H --server_port=N --test_case=NAME[,NAME...] [--use_tls=true]
// [--server_host_override=NAME] [--server_checks_compression=false]. The client prints one line per case and exits 1 if any failed.
var flags = InteropArgs.Parse(args);
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));

if (flags.Has("port"))
{
    await using var server = await InteropServer.StartAsync(flags.GetInt("port", 0), flags.GetBool("use_tls"), loggerFactory);
    Console.WriteLine($"listening on {string.Join(", ", server.EndPoints)}");
    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
    await stop.Task;
    await server.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
    return 0;
}

if (!flags.Has("server_port"))
{
    Console.Error.WriteLine("usage: Outrigger.Interop --port=N [--use_tls=true]  |  --server_host=H --server_port=N --test_case=NAME [--use_tls=true]");
    return 2;
}

var useTls = flags.GetBool("use_tls");
var host = flags.Get("server_host", "localhost");
var address = $"{(useTls ? "https" : "http")}://{host}:{flags.GetInt("server_port", 0)}";
var options = new GrpcChannelOptions { LoggerFactory = loggerFactory };
if (useTls)
{
    options.SslOptions = InteropCertificates.ClientOptions(flags.Get("server_host_override", host), presentClientCertificate: false);
}

using var channel = GrpcChannel.ForAddress(address, options);
var client = new InteropClient(channel, flags.Get("server_checks_compression", "true") == "true");
var failed = 0;
foreach (var testCase in flags.Get("test_case", "large_unary").Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    try
    {
        await client.RunAsync(testCase);
        Console.WriteLine($"PASS {testCase}");
    }
    catch (Exception ex)
    {
        failed++;
        Console.WriteLine($"FAIL {testCase}: {ex.GetType().Name}: {ex.Message}");
    }
}

return failed == 0 ? 0 : 1;
