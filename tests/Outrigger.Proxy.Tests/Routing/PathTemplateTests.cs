using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Tests.Routing;

public sealed class PathTemplateTests
{
    [Theory]
    [InlineData("/a/{x}/{x}", "appears twice")]
    [InlineData("/a/{**rest}/b", "must be the last")]
    [InlineData("/a/b{x}", "mixes text")]
    [InlineData("/a/{}", "not a valid parameter")]
    public void TryParse_Invalid_ExplainsWhy(string template, string problem)
    {
        Assert.False(PathTemplate.TryParse(template, out _, out var message));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/", "/", true)]
    [InlineData("/a/{id}", "/a/1", true)]
    [InlineData("/a/{id}", "/a/", false)]
    [InlineData("/a/{id}", "/a/1/2", false)]
    [InlineData("/a/{*rest}", "/a", true)]
    [InlineData("/a/{*rest}", "/a/b/c", true)]
    [InlineData("/A/{id}", "/a/1", false)]
    public void TryMatch_Segments(string template, string path, bool matches)
    {
        Assert.True(PathTemplate.TryParse(template, out var parsed, out _));
        Assert.Equal(matches, parsed!.TryMatch(path, out _));
    }
}
