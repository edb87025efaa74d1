using System.Text;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Direct;
using Outrigger.Proxy.Upstream;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

public class DirectResponseHeadTests
{
    private static (ResponseInfo Info, string Head) Rewrite(string head, bool headRequest = false, bool via = true, bool closeClient = false, RouteTransformOptions? transforms = null)
    {
        var output = new HeadBuilder(64);
        var info = DirectResponseHead.Rewrite(Encoding.ASCII.GetBytes(head), output, headRequest, via, closeClient, transforms ?? RouteTransformOptions.None);
        return (info, Encoding.ASCII.GetString(output.Written.Span));
    }

    [Fact]
    public void Rewrite_NginxResponse_KeepsFieldsAsWrittenDropsConnectionAddsVia()
    {
        var (info, head) = Rewrite("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2048\r\nConnection: keep-alive\r\nETag:  \"abc\" \r\nAccept-Ranges: bytes\r\n\r\n");

        Assert.Equal("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2048\r\nETag:  \"abc\" \r\nAccept-Ranges: bytes\r\nVia: 1.1 outrigger\r\n\r\n", head);
        Assert.Equal(new ResponseInfo(200, BodyFraming.Length, 2048, true), info);
    }

    [Fact]
    public void Rewrite_HopByHopAndConnectionNamedFields_AreDropped()
    {
        var (info, head) = Rewrite("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nX-A: 1\r\nConnection: close, X-Private\r\nX-Private: secret\r\nTrailer: x\r\nUpgrade: h2c\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n", via: false);

        Assert.Equal("HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n", head);
        Assert.False(info.UpstreamKeepAlive);
    }

    [Fact]
    public void Rewrite_BareLineFeeds_GoOnAsCrlf()
    {
        var (info, head) = Rewrite("HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\nTransfer-Encoding: chunked\n\n", via: false);

        Assert.Equal("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nTransfer-Encoding: chunked\r\n\r\n", head);
        Assert.Equal(BodyFraming.Chunked, info.Framing);
    }

    [Fact]
    public void Rewrite_ManyFields_AllKept()
    {
        var fields = string.Concat(Enumerable.Range(0, 300).Select(i => $"X-{i}: {i}\r\n"));
        var (_, head) = Rewrite($"HTTP/1.1 204 No Content\r\n{fields}Connection: keep-alive\r\n\r\n", via: false);

        Assert.Equal($"HTTP/1.1 204 No Content\r\n{fields}\r\n", head);
    }

    [Fact]
    public void Rewrite_NoFields_OnlyStatusLineAndOurs()
    {
        var (info, head) = Rewrite("HTTP/1.0 200 OK\r\n\r\n");

        Assert.Equal("HTTP/1.0 200 OK\r\nVia: 1.0 outrigger\r\nConnection: close\r\n\r\n", head);
        Assert.Equal(BodyFraming.UntilClose, info.Framing);
        Assert.False(info.UpstreamKeepAlive);
    }

    [Fact]
    public void Rewrite_ResponseTransforms_RemoveAndReplace()
    {
        var transforms = RouteTransformOptions.None with
        {
            SetResponseHeaders = new Dictionary<string, string> { ["X-Set"] = "ours" },
            RemoveResponseHeaders = ["Server"],
        };

        var (_, head) = Rewrite("HTTP/1.1 200 OK\r\nServer: nginx\r\nx-set: theirs\r\nContent-Length: 1\r\n\r\n", via: false, closeClient: true, transforms: transforms);

        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Set: ours\r\nConnection: close\r\n\r\n", head);
    }

    [Fact]
    public void Rewrite_HeadRequestAndNotModified_HaveNoBody()
    {
        Assert.Equal(BodyFraming.None, Rewrite("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", headRequest: true).Info.Framing);
        Assert.Equal(BodyFraming.None, Rewrite("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").Info.Framing);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno-colon\r\n\r\n")]
    [InlineData("HTTP/2 200\r\n\r\n")]
    public void Rewrite_MalformedHead_Throws(string head) =>
        Assert.Throws<UpstreamException>(() => Rewrite(head));
}
