namespace Outrigger.Grpc.Tests;

public sealed class MetadataTests
{
    [Fact]
    public void Add_UpperCaseKey_IsLowerCased() =>
        Assert.Equal("x-key", new Metadata().Add("X-Key", "v")[0].Key);

    [Theory]
    [InlineData("bad key")]
    [InlineData("ключ")]
    [InlineData("")]
    public void Add_InvalidKey_Throws(string key) =>
        Assert.ThrowsAny<ArgumentException>(() => new Metadata().Add(key, "v"));

    [Fact]
    public void Add_NonPrintableAsciiValue_Throws() =>
        Assert.Throws<ArgumentException>(() => new Metadata().Add("k", "line\nbreak"));

    [Fact]
    public void Add_BinaryKeyWithString_Throws() =>
        Assert.Throws<ArgumentException>(() => new Metadata().Add("k-bin", "text"));

    [Fact]
    public void Add_AsciiKeyWithBytes_Throws() =>
        Assert.Throws<ArgumentException>(() => new Metadata().Add("k", [1, 2]));

    [Fact]
    public void Get_ReturnsLastValueCaseInsensitively()
    {
        var metadata = new Metadata().Add("k", "1").Add("k", "2");
        Assert.Equal("2", metadata.GetValue("K"));
        Assert.Equal(2, metadata.GetAll("k").Count());
    }

    [Fact]
    public void Empty_IsReadOnly() =>
        Assert.Throws<InvalidOperationException>(() => Metadata.Empty.Add("k", "v"));
}
