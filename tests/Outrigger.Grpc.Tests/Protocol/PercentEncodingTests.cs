using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Tests.Protocol;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("a\tb\n", "a%09b%0A")]
    [InlineData("\u263A", "%E2%98%BA")]
    public void Encode_EscapesControlPercentAndNonAscii(string input, string expected) =>
        Assert.Equal(expected, PercentEncoding.Encode(input));

    [Fact]
    public void Decode_RoundTripsNonBmp()
    {
        const string text = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n";
        Assert.Equal(text, PercentEncoding.Decode(PercentEncoding.Encode(text)));
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("%G1", "%G1")]
    [InlineData("50%x", "50%x")]
    public void Decode_MalformedSequences_KeptAsIs(string input, string expected) =>
        Assert.Equal(expected, PercentEncoding.Decode(input));
}
