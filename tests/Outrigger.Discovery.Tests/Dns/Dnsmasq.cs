using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outrigger.Discovery.Tests.Dns;

/// <summary>
/// A real DNS server for tests: dnsmasq (Debian dnsmasq-base) on a free loopback port, serving the names of a hosts
/// file with a fixed TTL. <see cref="SetRecords"/> rewrites the file and makes dnsmasq reload it (SIGHUP).
/// </summary>
internal sealed class Dnsmasq : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("outrigger-dns").FullName;
    private Process _process;

    public Dnsmasq(int ttlSeconds, params string[] records)
    {
        File.WriteAllLines(HostsFile, records);

        // dnsmasq listens on UDP and TCP: a port free for UDP may be taken for TCP (a listener, or an outgoing
        // connection's ephemeral port) by the time it binds, so a start that finds it in use tries another port.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            _process = Start(ttlSeconds);
            try
            {
                WaitUntilServing();
                return;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("Address already in use", StringComparison.Ordinal))
            {
                _process.Dispose();
            }
        }
    }

    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    private string HostsFile => Path.Combine(_folder, "hosts");

    public void SetRecords(params string[] records)
    {
        File.WriteAllLines(HostsFile, records);
        using var hup = Process.Start("kill", ["-HUP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        hup.WaitForExit();
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private Process Start(int ttlSeconds)
    {
        var start = new ProcessStartInfo("dnsmasq",
        [
            "--keep-in-foreground", "--conf-file=/dev/null", "--user=root", "--bind-interfaces", "--listen-address=127.0.0.1",
            $"--port={Port}", "--no-resolv", "--no-hosts", $"--addn-hosts={HostsFile}", $"--local-ttl={ttlSeconds}", $"--pid-file={_folder}/pid",
        ])
        {
            RedirectStandardError = true,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
    }

    /// <summary>A loopback port free for both UDP and TCP at the time of asking.</summary>
    private static int FreePort()
    {
        while (true)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken for TCP: ask again
            }
        }
    }

    private void WaitUntilServing()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var probe = new TcpClient();
            try
            {
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException("dnsmasq exited: " + _process.StandardError.ReadToEnd());
                }

                Thread.Sleep(50);
            }
        }

        throw new TimeoutException("dnsmasq did not start listening");
    }
}
