using System.Diagnostics;
using Outrigger.Grpc.Client;
using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Peers;

/// <summary>
/// Runs interop cases in both directions: the peer's client against our interop executable (as a process, with
/// the standard flags), and our client against the peer's server. One per test class (a class fixture): the peer's
/// servers start once and the peer's client runs every case in one process.
/// </summary>
public abstract class PeerInterop(string peer) : IAsyncLifetime
{
    /// <summary>The cases also run over TLS in both directions.</summary>
    public static IReadOnlyList<string> TlsCases { get; } = ["large_unary", "ping_pong", "custom_metadata", "timeout_on_sleeping_server"];

    private readonly Dictionary<(bool Tls, string Case), string> _clientResults = [];
    private readonly List<IDisposable> _processes = [];
    private int _peerServerPort;
    private int _peerTlsServerPort;

    public async Task InitializeAsync()
    {
        if (Peer.WhyUnavailable(peer) is not null)
        {
            return;
        }

        var servers = await Task.WhenAll(
            PeerProcess.StartServerAsync(Peer.StartInfo(peer, "interop_server", "--port=0")),
            PeerProcess.StartServerAsync(Peer.StartInfo(peer, "interop_server", "--port=0", "--use_tls=true")));
        _processes.Add(servers[0].Process);
        _processes.Add(servers[1].Process);
        _peerServerPort = servers[0].Port;
        _peerTlsServerPort = servers[1].Port;
        await RunPeerClientAsync(tls: false, InteropClient.TestCases);
        await RunPeerClientAsync(tls: true, TlsCases);
    }

    public Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        return Task.CompletedTask;
    }

    public void AssertPeerClientPassed(string testCase, bool tls)
    {
        Assert.True(_clientResults.TryGetValue((tls, testCase), out var result), $"the {peer} client reported nothing for {testCase}");
        Assert.True(result == "PASS", $"{peer} client, {testCase}{(tls ? " over TLS" : string.Empty)} against our server: {result}");
    }

    public async Task RunOurClientAsync(string testCase, bool tls)
    {
        var options = new GrpcChannelOptions();
        if (tls)
        {
            options.SslOptions = InteropCertificates.ClientOptions("localhost", presentClientCertificate: false);
        }

        var address = tls ? $"https://localhost:{_peerTlsServerPort}" : $"http://127.0.0.1:{_peerServerPort}";
        using var channel = GrpcChannel.ForAddress(address, options);
        await new InteropClient(channel, serverChecksCompression: false).RunAsync(testCase);
    }

    private async Task RunPeerClientAsync(bool tls, IReadOnlyList<string> cases)
    {
        var (server, port) = await PeerProcess.StartServerAsync(InteropServerStartInfo(tls));
        using (server)
        {
            var args = new List<string> { "--server_host=localhost", $"--server_port={port}", "--test_case=" + string.Join(',', cases) };
            if (tls)
            {
                args.Add("--use_tls=true");
                args.Add("--server_host_override=localhost");
            }

            using var client = PeerProcess.Start(Peer.StartInfo(peer, "interop_client", [.. args]));
            var (_, output) = await client.WaitAsync(TimeSpan.FromSeconds(90));
            foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("PASS ", StringComparison.Ordinal))
                {
                    _clientResults[(tls, line[5..])] = "PASS";
                }
                else if (line.StartsWith("FAIL ", StringComparison.Ordinal))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    _clientResults[(tls, colon > 5 ? line[5..colon] : line[5..])] = line;
                }
            }

            foreach (var testCase in cases)
            {
                _clientResults.TryAdd((tls, testCase), $"no result; peer client output:\n{output}");
            }
        }
    }

    /// <summary>Our interop executable, started the way any official interop client would drive it.</summary>
    private static ProcessStartInfo InteropServerStartInfo(bool tls)
    {
        var info = new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Outrigger.Interop.dll"), "--port=0" } };
        if (tls)
        {
            info.ArgumentList.Add("--use_tls=true");
        }

        return info;
    }
}

public sealed class GrpcioPeer() : PeerInterop(Peer.Grpcio);

public sealed class GrpcJsPeer() : PeerInterop(Peer.GrpcJs);
