using System.Text;
using Outrigger.Proxy.Direct;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

public class ChunkedScannerTests
{
    [Theory]
    [InlineData("5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")]
    [InlineData("A\r\n0123456789\r\n0\r\nx-trailer: 1\r\nx-other: 2\r\n\r\n")]
    [InlineData("0\r\n\r\n")]
    public void Scan_WholeBody_CompleteAtItsEnd(string body)
    {
        var scanner = new ChunkedScanner();
        var bytes = Encoding.ASCII.GetBytes(body + "GET /next");

        var used = scanner.Scan(bytes);

        Assert.True(scanner.IsComplete);
        Assert.Equal(body.Length, used);
    }

    [Fact]
    public void Scan_OneByteAtATime_SameEnd()
    {
        var body = Encoding.ASCII.GetBytes("3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nt: v\r\n\r\n");
        var scanner = new ChunkedScanner();
        var total = 0;
        for (var i = 0; i < body.Length; i++)
        {
            Assert.False(scanner.IsComplete);
            total += scanner.Scan(body.AsSpan(i, 1));
        }

        Assert.True(scanner.IsComplete);
        Assert.Equal(body.Length, total);
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    [InlineData("1234567890abcdef0\r\n")]
    public void Scan_InvalidFraming_ReturnsMinusOne(string body)
    {
        var scanner = new ChunkedScanner();

        Assert.Equal(-1, scanner.Scan(Encoding.ASCII.GetBytes(body)));
    }
}
