using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination.Etcd;

namespace Outrigger.Coordination.Tests.Infrastructure;

/// <summary>
/// Real etcd members (the Debian <c>etcd</c> binary) on 127.0.0.1 with free ports and data under a temp directory:
/// start, kill with SIGKILL, restart, find the leader. Everything is killed and deleted on dispose.
/// </summary>
internal sealed class EtcdCluster : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("etcd");
    private readonly Process?[] _processes;
    private readonly int[] _clientPorts;
    private readonly int[] _peerPorts;
    private readonly EtcdTlsFiles? _tls;

    private EtcdCluster(int members, EtcdTlsFiles? tls)
    {
        _processes = new Process?[members];
        var ports = FreePorts(2 * members);
        _clientPorts = ports[..members];
        _peerPorts = ports[members..];
        _tls = tls;
    }

    public int Count => _processes.Length;

    public IReadOnlyList<Uri> ClientUrls => _clientPorts.Select(p => new Uri($"{(_tls is null ? "http" : "https")}://127.0.0.1:{p}")).ToArray();

    public static async Task<EtcdCluster> StartAsync(int members, EtcdTlsFiles? tls = null)
    {
        var cluster = new EtcdCluster(members, tls);
        try
        {
            for (var i = 0; i < members; i++)
            {
                cluster.Launch(i, existing: false);
            }

            for (var i = 0; i < members; i++)
            {
                await cluster.WaitReadyAsync(i);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of the cluster with the given member order (default: all members, 0 first).</summary>
    public ICoordinationStore Client(int[]? order = null, TimeSpan? requestTimeout = null, EtcdTlsFilesView? tls = null) =>
        CoordinationStore.OpenEtcd(
            new EtcdStoreOptions
            {
                Endpoints = (order ?? Enumerable.Range(0, Count).ToArray()).Select(i => ClientUrls[i]).ToArray(),
                RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
                DialTimeout = TimeSpan.FromSeconds(2),
                CaFile = (tls ?? _tls?.View)?.CaFile,
                CertFile = (tls ?? _tls?.View)?.CertFile,
                KeyFile = (tls ?? _tls?.View)?.KeyFile,
            },
            TimeProvider.System,
            NullLoggerFactory.Instance);

    /// <summary>SIGKILL, as a crash: no shutdown of any kind.</summary>
    public void Kill(int member)
    {
        var process = _processes[member] ?? throw new InvalidOperationException($"member {member} is not running");
        process.Kill();
        process.WaitForExit();
        process.Dispose();
        _processes[member] = null;
    }

    /// <summary>SIGSTOP, as a hung member: its connections stay open but nothing is answered.</summary>
    public void Pause(int member) => Signal(member, "STOP");

    /// <summary>SIGCONT: a paused member carries on where it stopped.</summary>
    public void Resume(int member) => Signal(member, "CONT");

    public async Task RestartAsync(int member)
    {
        Launch(member, existing: true);
        await WaitReadyAsync(member);
    }

    /// <summary>The index of the member that is leader, as the running members see it.</summary>
    public async Task<int> LeaderAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Wait.Long)
        {
            for (var i = 0; i < Count; i++)
            {
                if (_processes[i] is null)
                {
                    continue;
                }

                await using var client = Client([i], TimeSpan.FromSeconds(2));
                try
                {
                    if ((await client.StatusAsync()).IsLeader)
                    {
                        return i;
                    }
                }
                catch (CoordinationException)
                {
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no member became leader");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            if (_processes[i] is not null)
            {
                Kill(i);
            }
        }

        await Task.Yield();
        _directory.Dispose();
    }

    private void Launch(int member, bool existing)
    {
        var scheme = _tls is null ? "http" : "https";
        var initialCluster = string.Join(',', Enumerable.Range(0, Count).Select(i => $"m{i}=http://127.0.0.1:{_peerPorts[i]}"));
        var args = new List<string>
        {
            "--name", $"m{member}",
            "--data-dir", Path.Combine(_directory.Path, $"m{member}"),
            "--listen-client-urls", $"{scheme}://127.0.0.1:{_clientPorts[member]}",
            "--advertise-client-urls", $"{scheme}://127.0.0.1:{_clientPorts[member]}",
            "--listen-peer-urls", $"http://127.0.0.1:{_peerPorts[member]}",
            "--initial-advertise-peer-urls", $"http://127.0.0.1:{_peerPorts[member]}",
            "--initial-cluster", initialCluster,
            "--initial-cluster-state", existing ? "existing" : "new",
            "--initial-cluster-token", Path.GetFileName(_directory.Path),
            "--logger", "zap",
            "--log-outputs", Path.Combine(_directory.Path, $"m{member}.log"),
            "--log-level", "warn",
        };
        if (_tls is not null)
        {
            args.AddRange(["--cert-file", _tls.ServerCertFile, "--key-file", _tls.ServerKeyFile, "--client-cert-auth", "--trusted-ca-file", _tls.CaFile]);
        }

        var start = new ProcessStartInfo("etcd", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start etcd (apt-get install etcd-server)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[member] = process;
    }

    private async Task WaitReadyAsync(int member)
    {
        await using var client = Client([member], TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await client.RangeAsync(KeyRange.Single("/ready-probe"));
                return;
            }
            catch (CoordinationException) when (clock.Elapsed < TimeSpan.FromSeconds(30) && _processes[member] is { HasExited: false })
            {
                await Task.Delay(100);
            }
        }
    }

    private void Signal(int member, string signal)
    {
        var process = _processes[member] ?? throw new InvalidOperationException($"member {member} is not running");
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} failed");
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
