using System.Text;
using Outrigger.Proxy.Direct;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

public class DirectRequestTests
{
    private static readonly DirectLimits Limits = new(8192, 4096, 100, 0, "x-request-id");

    private static (HeadParse Result, DirectRequest Request) Parse(string head, DirectLimits? limits = null)
    {
        var request = new DirectRequest();
        var bytes = Encoding.ASCII.GetBytes(head);
        var scanned = 0;
        return (request.TryParse(bytes, bytes.Length, ref scanned, limits ?? Limits), request);
    }

    [Fact]
    public void TryParse_PlainGet_ReadsLineFieldsAndFraming()
    {
        var (result, request) = Parse("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com:8000\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\nrest");

        Assert.Equal(HeadParse.Complete, result);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/a/b", request.Path);
        Assert.Equal("example.com:8000", request.Host);
        Assert.Equal("2", request.Query("y"));
        Assert.Null(request.Query("z"));
        Assert.Equal("10.0.0.1", request.Header("x-forwarded-for"));
        Assert.Equal(0, request.ContentLength);
        Assert.False(request.Close);
        Assert.True(request.NamedInConnection(3));
        Assert.False(request.NamedInConnection(1));
        Assert.Equal(Encoding.ASCII.GetByteCount("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com:8000\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n"), request.HeadLength);
    }

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", 12)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n", -1)]
    public void TryParse_Body_ReadsFraming(string head, long length)
    {
        var (result, request) = Parse(head);

        Assert.Equal(HeadParse.Complete, result);
        Assert.Equal(length, request.ContentLength);
    }

    [Fact]
    public void TryParse_PartialHead_Incomplete()
    {
        Assert.Equal(HeadParse.Incomplete, Parse("GET / HTTP/1.1\r\nHost: x\r\n").Result);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nHost: x\r\n\r\n")]
    [InlineData("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")]
    [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")]
    public void TryParse_AnythingUnusual_UnsupportedForKestrel(string head)
    {
        Assert.Equal(HeadParse.Unsupported, Parse(head).Result);
    }

    [Fact]
    public void TryParse_BeyondLimits_Unsupported()
    {
        var big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 5000) + "\r\n\r\n";
        var limited = new DirectLimits(8192, 4096, 100, 10, "");

        Assert.Equal(HeadParse.Unsupported, Parse(big).Result);
        Assert.Equal(HeadParse.Unsupported, Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 5000)).Result);
        Assert.Equal(HeadParse.Unsupported, Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limited).Result);
        Assert.Equal(HeadParse.Unsupported, Parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", limited).Result);
        Assert.Equal(HeadParse.Complete, Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", limited).Result);
    }
}
