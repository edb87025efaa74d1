using Microsoft.Extensions.Primitives;
using Outrigger.Proxy.Forwarding;

namespace Outrigger.Proxy.Tests.Forwarding;

public sealed class HopByHopTests
{
    [Fact]
    public void NamedInConnection_ListsExtraTokens_NotConnectionOptions()
    {
        var named = HopByHop.NamedInConnection(new StringValues("keep-alive, X-Hop ,Upgrade, close"));

        Assert.NotNull(named);
        Assert.Equal(["X-Hop"], named);
        Assert.Contains("x-hop", named);
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("keep-alive")]
    [InlineData("transfer-encoding")]
    [InlineData("TE")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Upgrade")]
    public void IsHopByHop_ConnectionSpecificHeaders_True(string name) => Assert.True(HopByHop.IsHopByHop(name));

    [Fact]
    public void IsHopByHop_EndToEndHeader_False() => Assert.False(HopByHop.IsHopByHop("Content-Type"));
}
