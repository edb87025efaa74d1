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
    private readonly Process _process;

    public Dnsmasq(int ttlSeconds, params string[] records)
    {
        Port = FreeUdpPort();
        File.WriteAllLines(HostsFile, records);
        var start = new ProcessStartInfo("dnsmasq",
        [
            "--keep-in-foreground", "--conf-file=/dev/null", "--user=root", "--bind-interfaces", "--listen-address=127.0.0.1",
            $"--port={Port}", "--no-resolv", "--no-hosts", $"--addn-hosts={HostsFile}", $"--local-ttl={ttlSeconds}", $"--pid-file={_folder}/pid",
        ])
        {
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("dnsmasq did not start");
        WaitUntilServing();
    }

    public int Port { get; }

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

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
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
