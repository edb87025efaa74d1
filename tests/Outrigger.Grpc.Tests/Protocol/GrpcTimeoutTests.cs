using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Tests.Protocol;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("3S", 3000)]
    [InlineData("250m", 250)]
    [InlineData("1500u", 1.5)]
    [InlineData("99999900n", 99.9999)]
    public void TryParse_ValidUnits_ReturnsDuration(string text, double expectedMs)
    {
        Assert.True(GrpcTimeout.TryParse(text, out var timeout));
        Assert.Equal(expectedMs, timeout.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("123456789S")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    public void TryParse_Malformed_ReturnsFalse(string text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Theory]
    [InlineData(0.001, "1000n")]
    [InlineData(5, "5000000n")]
    [InlineData(1000, "1000000u")]
    [InlineData(86_400_000.0, "86400000m")]
    public void Format_PicksFinestUnitWithinEightDigits(double ms, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void Format_RoundTripsThroughParse_NeverShorter()
    {
        foreach (var ms in new[] { 1.0, 7.3, 999.9, 123_456.7, 9_999_999.0 })
        {
            var original = TimeSpan.FromMilliseconds(ms);
            Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(original), out var parsed));
            Assert.True(parsed >= original, $"{ms} ms formatted as {GrpcTimeout.Format(original)}");
        }
    }
}
