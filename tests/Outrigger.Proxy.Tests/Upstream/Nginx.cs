using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>
/// A real nginx (Debian's, /usr/sbin/nginx) on a free loopback port, one process, serving <c>/2k</c> (2048 bytes with a
/// Content-Length), <c>/chunked/2k</c> (the same bytes chunked: a sub_filter makes the length unknown) and accepting
/// <c>PUT /upload/NAME</c> (WebDAV) to store a body that <c>GET /upload/NAME</c> returns. <paramref name="extra"/> goes into
/// the http block (keepalive settings).
/// </summary>
internal sealed class Nginx : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("outrigger-nginx").FullName;
    private readonly Process _process;

    public Nginx(string extra = "")
    {
        Port = ForwardingTests.FreePort();
        var www = Path.Combine(_folder, "www");
        Directory.CreateDirectory(Path.Combine(www, "chunked"));
        Directory.CreateDirectory(Path.Combine(www, "upload"));
        Body = new byte[2048];
        for (var i = 0; i < Body.Length; i++)
        {
            Body[i] = (byte)('a' + (i % 26));
        }

        File.WriteAllBytes(Path.Combine(www, "2k"), Body);
        File.WriteAllBytes(Path.Combine(www, "chunked", "2k"), Body);
        var config = Path.Combine(_folder, "nginx.conf");
        File.WriteAllText(config, $$"""
            daemon off;
            master_process off;
            pid {{_folder}}/nginx.pid;
            error_log {{_folder}}/error.log warn;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path {{_folder}}/body;
              proxy_temp_path {{_folder}}/proxy;
              fastcgi_temp_path {{_folder}}/fastcgi;
              uwsgi_temp_path {{_folder}}/uwsgi;
              scgi_temp_path {{_folder}}/scgi;
              default_type application/octet-stream;
              {{extra}}
              server {
                listen 127.0.0.1:{{Port}};
                root {{www}};
                location /chunked/ { sub_filter 'zzz' 'yyy'; sub_filter_types *; }
                location /upload/ { dav_methods PUT; client_max_body_size 10m; }
              }
            }
            """);
        _process = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-c", config, "-p", _folder]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("nginx did not start");
        WaitUntilServing();
    }

    public int Port { get; }

    /// <summary>The bytes of /2k and /chunked/2k.</summary>
    public byte[] Body { get; }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private void WaitUntilServing()
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10))
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
                    throw new InvalidOperationException("nginx exited: " + _process.StandardError.ReadToEnd());
                }

                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"nginx did not listen on {Port} within 10 s"));
    }
}
