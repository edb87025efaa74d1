using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Outrigger.Discovery.Dns;

/// <summary>
/// A stub resolver that asks a DNS server directly (UDP, TCP when the answer is truncated) for A and AAAA records, so
/// that it learns their TTL — which the operating system's resolver does not report.
/// </summary>
public sealed class UdpDnsResolver(IReadOnlyList<IPEndPoint> servers, IReadOnlyList<string> searchDomains, int ndots, TimeSpan timeout) : IDnsResolver
{
    /// <summary>A resolver using <c>/etc/resolv.conf</c> (nameservers, search, ndots), or one explicit server.</summary>
    public static UdpDnsResolver Create(IPEndPoint? server = null, string resolvConf = "/etc/resolv.conf")
    {
        var config = ResolvConf.Read(resolvConf);
        return new UdpDnsResolver(server is null ? config.Servers : [server], server is null ? config.Search : [], config.Ndots, TimeSpan.FromSeconds(2));
    }

    public async Task<DnsAnswer> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        DnsException? last = null;
        foreach (var candidate in Candidates(name))
        {
            try
            {
                var v4 = QueryAsync(candidate, DnsMessage.TypeA, cancellationToken);
                var v6 = QueryAsync(candidate, DnsMessage.TypeAaaa, cancellationToken);
                var (a, aaaa) = (await v4.ConfigureAwait(false), await v6.ConfigureAwait(false));
                if (a.ResponseCode == 3 && aaaa.ResponseCode == 3)
                {
                    last = new DnsException($"{candidate}: name does not exist");
                    continue;
                }

                if (a.ResponseCode != 0 && aaaa.ResponseCode != 0)
                {
                    throw new DnsException($"{candidate}: server answered with response code {a.ResponseCode} (A) and {aaaa.ResponseCode} (AAAA)");
                }

                // One family may be refused or fail while the other answers (a server with only A records, say).
                var answered = new[] { a, aaaa }.Where(x => x.ResponseCode == 0).ToArray();
                var ttl = answered.Where(x => x.Ttl is not null).Select(x => x.Ttl).Min();
                return new DnsAnswer([.. answered.SelectMany(x => x.Addresses)], ttl);
            }
            catch (DnsException e)
            {
                last = e;
            }
        }

        throw last ?? new DnsException($"{name}: no DNS server configured");
    }

    private IEnumerable<string> Candidates(string name)
    {
        if (name.EndsWith('.'))
        {
            yield return name;
            yield break;
        }

        var dots = name.Count(c => c == '.');
        if (dots >= ndots)
        {
            yield return name;
        }

        foreach (var domain in searchDomains)
        {
            yield return $"{name}.{domain}";
        }

        if (dots < ndots)
        {
            yield return name;
        }
    }

    private async Task<DnsMessage.Answer> QueryAsync(string name, ushort type, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (var server in servers)
        {
            var id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
            var query = DnsMessage.Query(id, name, type);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                var answer = DnsMessage.Parse(await UdpAsync(server, query, cts.Token).ConfigureAwait(false), id);
                return answer.Truncated ? DnsMessage.Parse(await TcpAsync(server, query, cts.Token).ConfigureAwait(false), id) : answer;
            }
            catch (Exception e) when (e is SocketException or DnsException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e;
            }
        }

        throw new DnsException($"{name}: no answer from {string.Join(", ", servers)} ({last?.Message})");
    }

    private static async Task<byte[]> UdpAsync(IPEndPoint server, byte[] query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(query, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer[..read];
    }

    private static async Task<byte[]> TcpAsync(IPEndPoint server, byte[] query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        var lengthBytes = new byte[2];
        await stream.ReadExactlyAsync(lengthBytes, cancellationToken).ConfigureAwait(false);
        var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(lengthBytes)];
        await stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
        return answer;
    }
}
