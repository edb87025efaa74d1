using System.Text;
using Outrigger.Proxy.Forwarding;
using Xunit;

namespace Outrigger.Proxy.Tests.Forwarding;

public class RequestIdsTests
{
    [Fact]
    public void Next_Bytes_SameShapeAsTheStringFormAndCounting()
    {
        var bytes = new byte[RequestIds.Length];
        RequestIds.Next(bytes);
        var first = Encoding.ASCII.GetString(bytes);
        var text = RequestIds.Next();
        RequestIds.Next(bytes);
        var third = Encoding.ASCII.GetString(bytes);

        foreach (var id in new[] { first, text, third })
        {
            Assert.Matches("^[0-9a-f]{32}$", id);
            Assert.Equal(first[..16], id[..16]);
        }

        var counters = new[] { first, text, third }.Select(id => Convert.ToUInt64(id[16..], 16)).ToArray();
        Assert.True(counters[1] > counters[0] && counters[2] > counters[1], string.Join(",", counters));
    }
}
